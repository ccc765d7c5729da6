// Drives iotcore with Yandex's Go SDK (github.com/yandex-cloud/go-sdk/v2), configured as a user
// moving from Yandex would: the authorized key file `iotcore iam key create` wrote, iotcore's
// address as the discovery endpoint, and its CA. The SDK discovers the services, trades the key's
// JWT for an IAM token and dials each service it resolves; the calls are go-genproto's clients on
// the SDK's connections, as the SDK's own service packages make them. Run by
// test/registry/iam/yandex-sdks.test.ts, one step per run; prints one JSON object.
//
//	yandex-go-sdk STEP   with IOTCORE_ENDPOINT, YC_KEY_FILE, FOLDER_ID (and REGISTRY_ID, DEVICE_ID)
//
// The CA: go-sdk v2.191.0 dials discovery, the IAM exchange and every discovered endpoint with
// TLS on the system's roots (options.WithTLSConfig does not reach them), so the caller points
// SSL_CERT_FILE at iotcore's CA, which Go reads as the system's roots.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	devices "github.com/yandex-cloud/go-genproto/yandex/cloud/iot/devices/v1"
	operationpb "github.com/yandex-cloud/go-genproto/yandex/cloud/operation"
	ycsdk "github.com/yandex-cloud/go-sdk/v2"
	"github.com/yandex-cloud/go-sdk/v2/credentials"
	"github.com/yandex-cloud/go-sdk/v2/pkg/operation"
	"github.com/yandex-cloud/go-sdk/v2/pkg/options"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/emptypb"
)

const password = "Go-Sdk-Passw0rd!"

type flow struct {
	sdk    *ycsdk.SDK
	folder string
}

// conn is the SDK's connection for a service, found by its full name through discovery.
func (f flow) conn(ctx context.Context, service protoreflect.FullName) grpc.ClientConnInterface {
	conn, err := f.sdk.GetConnection(ctx, service)
	if err != nil {
		fail(err)
	}
	return conn
}

func (f flow) registries(ctx context.Context) devices.RegistryServiceClient {
	return devices.NewRegistryServiceClient(f.conn(ctx, "yandex.cloud.iot.devices.v1.RegistryService"))
}

func (f flow) devices(ctx context.Context) devices.DeviceServiceClient {
	return devices.NewDeviceServiceClient(f.conn(ctx, "yandex.cloud.iot.devices.v1.DeviceService"))
}

// wait polls OperationService until the operation is done, with the SDK's operation helper.
func (f flow) wait(ctx context.Context, op *operationpb.Operation, err error, metadata, response proto.Message) proto.Message {
	if err != nil {
		fail(err)
	}
	operations := operationpb.NewOperationServiceClient(f.conn(ctx, "yandex.cloud.operation.OperationService"))
	waited, err := operation.NewOperation(op, &operation.Concretization{
		Poll: func(ctx context.Context, id string, opts ...grpc.CallOption) (operation.YCOperation, error) {
			return operations.Get(ctx, &operationpb.GetOperationRequest{OperationId: id}, opts...)
		},
		MetadataType: metadata,
		ResponseType: response,
	})
	if err != nil {
		fail(err)
	}
	result, err := waited.Wait(ctx)
	if err != nil {
		fail(err)
	}
	return result
}

func (f flow) registryNames(ctx context.Context) []string {
	listed, err := f.registries(ctx).List(ctx, &devices.ListRegistriesRequest{FolderId: f.folder})
	if err != nil {
		fail(err)
	}
	names := []string{}
	for _, registry := range listed.Registries {
		names = append(names, registry.Name)
	}
	return names
}

func (f flow) create(ctx context.Context) map[string]any {
	op, err := f.registries(ctx).Create(ctx, &devices.CreateRegistryRequest{FolderId: f.folder, Name: "go-registry", Password: password})
	registry := f.wait(ctx, op, err, &devices.CreateRegistryMetadata{}, &devices.Registry{}).(*devices.Registry)
	op, err = f.devices(ctx).Create(ctx, &devices.CreateDeviceRequest{RegistryId: registry.Id, Name: "go-device", Password: password})
	device := f.wait(ctx, op, err, &devices.CreateDeviceMetadata{}, &devices.Device{}).(*devices.Device)
	listed, err := f.devices(ctx).List(ctx, &devices.ListDevicesRequest{Id: &devices.ListDevicesRequest_RegistryId{RegistryId: registry.Id}})
	if err != nil {
		fail(err)
	}
	deviceNames := []string{}
	for _, entry := range listed.Devices {
		deviceNames = append(deviceNames, entry.Name)
	}
	return map[string]any{
		"registry_id": registry.Id,
		"device_id":   device.Id,
		"password":    password,
		"registries":  f.registryNames(ctx),
		"devices":     deviceNames,
	}
}

func (f flow) publish(ctx context.Context) map[string]any {
	registryID, deviceID := os.Getenv("REGISTRY_ID"), os.Getenv("DEVICE_ID")
	deviceData := devices.NewDeviceDataServiceClient(f.conn(ctx, "yandex.cloud.iot.devices.v1.DeviceDataService"))
	if _, err := deviceData.Publish(ctx, &devices.PublishDeviceDataRequest{
		DeviceId: deviceID, Topic: "$devices/" + deviceID + "/events", Data: []byte("from the Go device"),
	}); err != nil {
		fail(err)
	}
	registryData := devices.NewRegistryDataServiceClient(f.conn(ctx, "yandex.cloud.iot.devices.v1.RegistryDataService"))
	if _, err := registryData.Publish(ctx, &devices.PublishRegistryDataRequest{
		RegistryId: registryID, Topic: "$devices/" + deviceID + "/commands", Data: []byte("from the Go registry"),
	}); err != nil {
		fail(err)
	}
	return map[string]any{}
}

func (f flow) list(ctx context.Context) map[string]any {
	return map[string]any{"registries": f.registryNames(ctx)}
}

func (f flow) delete(ctx context.Context) map[string]any {
	op, err := f.devices(ctx).Delete(ctx, &devices.DeleteDeviceRequest{DeviceId: os.Getenv("DEVICE_ID")})
	f.wait(ctx, op, err, &devices.DeleteDeviceMetadata{}, &emptypb.Empty{})
	op, err = f.registries(ctx).Delete(ctx, &devices.DeleteRegistryRequest{RegistryId: os.Getenv("REGISTRY_ID")})
	f.wait(ctx, op, err, &devices.DeleteRegistryMetadata{}, &emptypb.Empty{})
	return map[string]any{"registries": f.registryNames(ctx)}
}

// fail prints a gRPC error as {code, details}, as the Python flow does, and exits 0: the test
// asserts on it. Any other error exits 1.
func fail(err error) {
	var grpcError interface{ GRPCStatus() *status.Status }
	if errors.As(err, &grpcError) {
		print(map[string]any{"code": grpcError.GRPCStatus().Code().String(), "details": grpcError.GRPCStatus().Message()})
		os.Exit(0)
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func print(result map[string]any) {
	encoded, _ := json.Marshal(result)
	fmt.Println(string(encoded))
}

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	key, err := credentials.ServiceAccountKeyFile(os.Getenv("YC_KEY_FILE"))
	if err != nil {
		fail(err)
	}
	sdk, err := ycsdk.Build(ctx, options.WithCredentials(key), options.WithDiscoveryEndpoint(os.Getenv("IOTCORE_ENDPOINT")))
	if err != nil {
		fail(err)
	}
	defer sdk.Shutdown(ctx)
	f := flow{sdk: sdk, folder: os.Getenv("FOLDER_ID")}
	steps := map[string]func(context.Context) map[string]any{"create": f.create, "publish": f.publish, "list": f.list, "delete": f.delete}
	step, ok := steps[os.Args[len(os.Args)-1]]
	if len(os.Args) != 2 || !ok {
		fmt.Fprintln(os.Stderr, "usage: yandex-go-sdk create|publish|list|delete")
		os.Exit(2)
	}
	print(step(ctx))
}
