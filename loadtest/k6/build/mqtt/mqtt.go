// Package mqtt is the `k6/x/mqtt` module of iotcore's k6 build: a small synchronous MQTT 3.1.1
// client on eclipse/paho.mqtt.golang for k6 scenarios.
//
// The published extension, grafana/xk6-mqtt, is not served by the Go module proxy this project
// builds from (every version answers 403), so the calls the scenarios need are written here:
// connect, subscribe, publish (waiting for PUBACK at QoS 1), receive with a timeout, close. Calls
// block the VU that makes them, as k6's own HTTP calls do, so a scenario is a plain loop.
//
// Metrics, in the spirit of xk6-mqtt's: counters mqtt_calls, mqtt_messages_sent and
// mqtt_messages_received, and the rate mqtt_errors (one sample per connect, subscribe and publish
// call: 1 when it failed), each tagged with `call` and the client's own tags.
package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/grafana/sobek"
	"go.k6.io/k6/v2/js/modules"
	"go.k6.io/k6/v2/metrics"
)

func init() {
	modules.Register("k6/x/mqtt", new(root))
}

type root struct{}

type moduleMetrics struct {
	calls, errors, sent, received *metrics.Metric
}

type instance struct {
	vu      modules.VU
	metrics moduleMetrics
}

func (*root) NewModuleInstance(vu modules.VU) modules.Instance {
	registry := vu.InitEnv().Registry
	return &instance{vu: vu, metrics: moduleMetrics{
		calls:    registry.MustNewMetric("mqtt_calls", metrics.Counter),
		errors:   registry.MustNewMetric("mqtt_errors", metrics.Rate),
		sent:     registry.MustNewMetric("mqtt_messages_sent", metrics.Counter),
		received: registry.MustNewMetric("mqtt_messages_received", metrics.Counter),
	}}
}

func (i *instance) Exports() modules.Exports {
	return modules.Exports{Named: map[string]any{"Client": i.newClient}}
}

// Options are the constructor's argument, as JS object fields.
type Options struct {
	URL              string            `js:"url"`
	ClientID         string            `js:"clientId"`
	Username         string            `js:"username"`
	Password         string            `js:"password"`
	CA               string            `js:"ca"`
	KeepaliveSeconds int               `js:"keepaliveSeconds"`
	CleanSession     *bool             `js:"cleanSession"`
	TimeoutMs        int               `js:"timeoutMs"`
	InboxSize        int               `js:"inboxSize"`
	Tags             map[string]string `js:"tags"`
}

// Message is what receive() returns.
type Message struct {
	Topic   string `js:"topic"`
	Payload string `js:"payload"`
	// Duplicate is the DUP flag of the PUBLISH packet (a QoS 1 redelivery).
	Duplicate bool `js:"duplicate"`
}

// Client is one MQTT connection of a VU.
type Client struct {
	instance *instance
	options  Options
	client   paho.Client
	inbox    chan Message
	timeout  time.Duration
	dropped  atomic.Int64

	mu   sync.Mutex
	lost error // why the connection dropped, when it did
}

func (i *instance) newClient(call sobek.ConstructorCall) *sobek.Object {
	rt := i.vu.Runtime()
	var options Options
	if err := rt.ExportTo(call.Argument(0), &options); err != nil {
		panic(rt.NewTypeError("mqtt.Client options: %v", err))
	}
	if options.TimeoutMs == 0 {
		options.TimeoutMs = 30_000
	}
	if options.InboxSize == 0 {
		options.InboxSize = 1024
	}
	c := &Client{instance: i, options: options, inbox: make(chan Message, options.InboxSize), timeout: time.Duration(options.TimeoutMs) * time.Millisecond}
	return rt.ToValue(c).ToObject(rt)
}

// Connect opens the connection and returns CONNACK's session-present flag; it throws with the
// broker's refusal (CONNACK code) or the network error.
func (c *Client) Connect() (bool, error) {
	broker, tlsConfig, err := endpoint(c.options.URL, c.options.CA)
	if err != nil {
		return false, c.record("connect", err)
	}
	clean := c.options.CleanSession == nil || *c.options.CleanSession
	options := paho.NewClientOptions().
		AddBroker(broker).
		SetClientID(c.options.ClientID).
		SetUsername(c.options.Username).
		SetPassword(c.options.Password).
		SetCleanSession(clean).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(c.timeout).
		SetOrderMatters(false).
		SetTLSConfig(tlsConfig).
		// Messages of a resumed persistent session arrive before any subscribe() of this client.
		SetDefaultPublishHandler(c.deliver).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			c.mu.Lock()
			c.lost = err
			c.mu.Unlock()
		})
	if c.options.KeepaliveSeconds > 0 {
		options.SetKeepAlive(time.Duration(c.options.KeepaliveSeconds) * time.Second)
	}
	c.mu.Lock()
	c.lost = nil
	c.mu.Unlock()
	c.client = paho.NewClient(options)
	token := c.client.Connect()
	if err := c.record("connect", wait(token, c.timeout, "connect")); err != nil {
		return false, err
	}
	return token.(*paho.ConnectToken).SessionPresent(), nil
}

func (c *Client) deliver(_ paho.Client, m paho.Message) {
	select {
	case c.inbox <- Message{Topic: m.Topic(), Payload: string(m.Payload()), Duplicate: m.Duplicate()}:
	default:
		c.dropped.Add(1)
	}
}

// Subscribe subscribes one filter and returns the granted QoS; messages wait in the inbox for
// receive(). It throws when the broker refuses the filter (SUBACK 0x80).
func (c *Client) Subscribe(filter string, qos int) (int, error) {
	if c.client == nil {
		return 0, c.record("subscribe", errors.New("subscribe before connect"))
	}
	token := c.client.Subscribe(filter, byte(qos), c.deliver)
	if err := wait(token, c.timeout, "subscribe"); err != nil {
		return 0, c.record("subscribe", err)
	}
	granted := token.(*paho.SubscribeToken).Result()[filter]
	if granted == 0x80 {
		return 0, c.record("subscribe", fmt.Errorf("subscription to %q refused (SUBACK 0x80)", filter))
	}
	return int(granted), c.record("subscribe", nil)
}

// Publish sends a message and, at QoS 1, waits for its PUBACK.
func (c *Client) Publish(topic string, qos int, payload string) error {
	if c.client == nil {
		return c.record("publish", errors.New("publish before connect"))
	}
	err := c.record("publish", wait(c.client.Publish(topic, byte(qos), false, payload), c.timeout, "publish"))
	if err == nil {
		c.push(c.instance.metrics.sent, 1, "")
	}
	return err
}

// Receive returns the next message of the inbox, or null after timeoutMs. It throws when the inbox
// is empty and the connection was lost.
func (c *Client) Receive(timeoutMs int) (*Message, error) {
	select {
	case message := <-c.inbox:
		c.push(c.instance.metrics.received, 1, "")
		return &message, nil
	default:
	}
	if err := c.lostError(); err != nil {
		return nil, err
	}
	timer := time.NewTimer(time.Duration(timeoutMs) * time.Millisecond)
	defer timer.Stop()
	select {
	case message := <-c.inbox:
		c.push(c.instance.metrics.received, 1, "")
		return &message, nil
	case <-timer.C:
		return nil, nil
	}
}

// Dropped counts messages that arrived while the inbox was full (not measured by the script).
func (c *Client) Dropped() int64 { return c.dropped.Load() }

// Connected tells whether the connection is up.
func (c *Client) Connected() bool { return c.client != nil && c.client.IsConnectionOpen() }

// Close sends DISCONNECT and closes the connection (a no-op when it is not open).
func (c *Client) Close() {
	if c.client != nil && c.client.IsConnectionOpen() {
		c.client.Disconnect(250)
	}
}

func (c *Client) lostError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost == nil {
		return nil
	}
	return fmt.Errorf("connection lost: %w", c.lost)
}

// record counts a call and whether it failed, and passes the error on.
func (c *Client) record(call string, err error) error {
	c.push(c.instance.metrics.calls, 1, call)
	failed := 0.0
	if err != nil {
		failed = 1
	}
	c.push(c.instance.metrics.errors, failed, call)
	return err
}

func (c *Client) push(metric *metrics.Metric, value float64, call string) {
	state := c.instance.vu.State()
	if state == nil {
		return // init context: k6 takes no samples there
	}
	current := state.Tags.GetCurrentValues()
	tags := current.Tags.WithTagsFromMap(c.options.Tags)
	if call != "" {
		tags = tags.With("call", call)
	}
	metrics.PushIfNotDone(c.instance.vu.Context(), state.Samples, metrics.Sample{
		TimeSeries: metrics.TimeSeries{Metric: metric, Tags: tags},
		Time:       time.Now(),
		Metadata:   current.Metadata,
		Value:      value,
	})
}

func wait(token paho.Token, timeout time.Duration, what string) error {
	if !token.WaitTimeout(timeout) {
		return fmt.Errorf("%s: no answer within %s", what, timeout)
	}
	if err := token.Error(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// endpoint turns mqtt(s):// URLs into paho's tcp:// and ssl:// and builds the TLS settings: the
// given CA (PEM) is trusted and the host name is verified; without one, the system roots are.
func endpoint(raw, caPEM string) (string, *tls.Config, error) {
	parsed, err := url.Parse(raw)
	if err != nil {
		return "", nil, fmt.Errorf("url %q: %w", raw, err)
	}
	switch parsed.Scheme {
	case "mqtt", "tcp":
		return "tcp://" + parsed.Host, nil, nil
	case "mqtts", "ssl", "tls":
		config := &tls.Config{ServerName: parsed.Hostname(), MinVersion: tls.VersionTLS12}
		if caPEM != "" {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM([]byte(caPEM)) {
				return "", nil, errors.New("ca: no PEM certificate found")
			}
			config.RootCAs = pool
		}
		return "ssl://" + parsed.Host, config, nil
	default:
		return "", nil, fmt.Errorf("url %q: scheme must be mqtt or mqtts", raw)
	}
}
