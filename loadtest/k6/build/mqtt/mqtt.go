// Package mqtt is the `k6/x/mqtt` module of iotcore's k6 build: a small synchronous MQTT 3.1.1
// client on eclipse/paho.mqtt.golang for k6 scenarios. The published extension (grafana/xk6-mqtt)
// is not served by the Go module proxy this project builds from, so the few calls the scenarios
// need are here: connect, subscribe, publish (waiting for PUBACK at QoS 1), receive with a
// timeout, close. Calls block the VU that makes them, as k6's own HTTP calls do.
package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/grafana/sobek"
	"go.k6.io/k6/js/modules"
)

func init() {
	modules.Register("k6/x/mqtt", new(root))
}

type root struct{}

type instance struct{ vu modules.VU }

func (*root) NewModuleInstance(vu modules.VU) modules.Instance { return &instance{vu: vu} }

func (i *instance) Exports() modules.Exports {
	return modules.Exports{Named: map[string]any{"Client": i.newClient}}
}

// Options are the constructor's argument, as JS object fields.
type Options struct {
	URL              string `js:"url"`
	ClientID         string `js:"clientId"`
	Username         string `js:"username"`
	Password         string `js:"password"`
	CA               string `js:"ca"`
	KeepaliveSeconds int    `js:"keepaliveSeconds"`
	CleanSession     *bool  `js:"cleanSession"`
	TimeoutMs        int    `js:"timeoutMs"`
	InboxSize        int    `js:"inboxSize"`
}

// Message is what receive() returns.
type Message struct {
	Topic   string `js:"topic"`
	Payload string `js:"payload"`
}

// Client is one MQTT connection of a VU.
type Client struct {
	options Options
	client  paho.Client
	inbox   chan Message
	timeout time.Duration
	dropped int64
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
		options.InboxSize = 100_000
	}
	c := &Client{options: options, inbox: make(chan Message, options.InboxSize), timeout: time.Duration(options.TimeoutMs) * time.Millisecond}
	return rt.ToValue(c).ToObject(rt)
}

// Connect opens the connection; it throws with the broker's CONNACK refusal when there is one.
func (c *Client) Connect() error {
	broker, tlsConfig, err := endpoint(c.options.URL, c.options.CA)
	if err != nil {
		return err
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
		SetTLSConfig(tlsConfig)
	if c.options.KeepaliveSeconds > 0 {
		options.SetKeepAlive(time.Duration(c.options.KeepaliveSeconds) * time.Second)
	}
	c.client = paho.NewClient(options)
	return wait(c.client.Connect(), c.timeout, "connect")
}

// Subscribe subscribes one filter; messages wait in the inbox for receive(). It throws when the
// broker refuses the filter (SUBACK 0x80).
func (c *Client) Subscribe(filter string, qos int) error {
	if c.client == nil {
		return errors.New("subscribe before connect")
	}
	token := c.client.Subscribe(filter, byte(qos), func(_ paho.Client, m paho.Message) {
		select {
		case c.inbox <- Message{Topic: m.Topic(), Payload: string(m.Payload())}:
		default:
			c.dropped++
		}
	})
	if err := wait(token, c.timeout, "subscribe"); err != nil {
		return err
	}
	if granted := token.(*paho.SubscribeToken).Result()[filter]; granted == 0x80 {
		return fmt.Errorf("subscription to %q refused (SUBACK 0x80)", filter)
	}
	return nil
}

// Publish sends a message and, at QoS 1, waits for its PUBACK.
func (c *Client) Publish(topic string, qos int, payload string) error {
	if c.client == nil {
		return errors.New("publish before connect")
	}
	return wait(c.client.Publish(topic, byte(qos), false, payload), c.timeout, "publish")
}

// Receive returns the next message of the inbox, or null after timeoutMs.
func (c *Client) Receive(timeoutMs int) *Message {
	select {
	case message := <-c.inbox:
		return &message
	case <-time.After(time.Duration(timeoutMs) * time.Millisecond):
		return nil
	}
}

// Dropped counts messages that arrived while the inbox was full.
func (c *Client) Dropped() int64 { return c.dropped }

// Connected tells whether the connection is up.
func (c *Client) Connected() bool { return c.client != nil && c.client.IsConnectionOpen() }

// Close sends DISCONNECT and closes the connection.
func (c *Client) Close() {
	if c.client != nil {
		c.client.Disconnect(250)
	}
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
// given CA (PEM) is trusted and the host name is verified.
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
