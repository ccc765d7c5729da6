// Command yandex-http-rules prints the google.api.http annotation of every method of Yandex's IoT
// Core services, read from the descriptors compiled into Yandex's own generated Go code
// (github.com/yandex-cloud/go-genproto), as JSON: {"<package>.<Service>.<Method>": HttpRule | null}.
// test/proto/http-annotations.test.ts compares our protos' annotations with it.
package main

import (
	"encoding/json"
	"log"
	"os"

	_ "github.com/yandex-cloud/go-genproto/yandex/cloud/iot/broker/v1"
	_ "github.com/yandex-cloud/go-genproto/yandex/cloud/iot/devices/v1"
	_ "github.com/yandex-cloud/go-genproto/yandex/cloud/operation"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

var packages = []protoreflect.FullName{"yandex.cloud.iot.devices.v1", "yandex.cloud.iot.broker.v1", "yandex.cloud.operation"}

func main() {
	rules := map[string]json.RawMessage{}
	for _, pkg := range packages {
		protoregistry.GlobalFiles.RangeFilesByPackage(pkg, func(file protoreflect.FileDescriptor) bool {
			for i := 0; i < file.Services().Len(); i++ {
				methods := file.Services().Get(i).Methods()
				for j := 0; j < methods.Len(); j++ {
					method := methods.Get(j)
					rules[string(method.FullName())] = httpRule(method)
				}
			}
			return true
		})
	}
	if len(rules) == 0 {
		log.Fatal("no services found")
	}
	if err := json.NewEncoder(os.Stdout).Encode(rules); err != nil {
		log.Fatal(err)
	}
}

func httpRule(method protoreflect.MethodDescriptor) json.RawMessage {
	if !proto.HasExtension(method.Options(), annotations.E_Http) {
		return json.RawMessage("null")
	}
	rule := proto.GetExtension(method.Options(), annotations.E_Http).(*annotations.HttpRule)
	out, err := protojson.Marshal(rule)
	if err != nil {
		log.Fatal(err)
	}
	return out
}
