# Drives iotcore with Yandex's own Python SDK (`yandexcloud`), configured as a user moving from
# Yandex would: a service account key file, the endpoint and the CA, nothing else. Run by
# python-sdk.test.ts, one step per run; prints one JSON object.
#   python yandex_sdk_flow.py STEP   with IOTCORE_ENDPOINT, IOTCORE_CA and one of YC_KEY_FILE, YC_OAUTH_TOKEN, YC_IAM_TOKEN
import json
import os
import sys

import grpc
import yandexcloud
from yandex.cloud.iot.broker.v1.broker_data_service_pb2 import PublishBrokerDataRequest
from yandex.cloud.iot.broker.v1.broker_data_service_pb2_grpc import BrokerDataServiceStub
from yandex.cloud.iot.broker.v1.broker_pb2 import Broker
from yandex.cloud.iot.broker.v1.broker_service_pb2 import (
    CreateBrokerMetadata,
    CreateBrokerRequest,
    DeleteBrokerRequest,
    ListBrokersRequest,
)
from yandex.cloud.iot.broker.v1.broker_service_pb2_grpc import BrokerServiceStub
from yandex.cloud.iam.v1.iam_token_service_pb2_grpc import IamTokenServiceStub
from yandex.cloud.iot.devices.v1.device_data_service_pb2 import PublishDeviceDataRequest
from yandex.cloud.iot.devices.v1.device_data_service_pb2_grpc import DeviceDataServiceStub
from yandex.cloud.iot.devices.v1.device_pb2 import Device
from yandex.cloud.iot.devices.v1.device_service_pb2 import (
    CreateDeviceMetadata,
    CreateDeviceRequest,
    DeleteDeviceRequest,
    ListDevicesRequest,
)
from yandex.cloud.iot.devices.v1.device_service_pb2_grpc import DeviceServiceStub
from yandex.cloud.iot.devices.v1.registry_data_service_pb2 import PublishRegistryDataRequest
from yandex.cloud.iot.devices.v1.registry_data_service_pb2_grpc import RegistryDataServiceStub
from yandex.cloud.iot.devices.v1.registry_pb2 import Registry
from yandex.cloud.iot.devices.v1.registry_service_pb2 import (
    CreateRegistryMetadata,
    CreateRegistryRequest,
    DeleteRegistryRequest,
    ListRegistriesRequest,
)
from yandex.cloud.iot.devices.v1.registry_service_pb2_grpc import RegistryServiceStub
from yandexcloud._auth_fabric import get_auth_token_requester

FOLDER = os.environ.get("FOLDER_ID", "sdk-folder")
PASSWORD = "Python-Sdk-Passw0rd"


def sdk() -> yandexcloud.SDK:
    with open(os.environ["IOTCORE_CA"], "rb") as ca:
        root_certificates = ca.read()
    if "YC_IAM_TOKEN" in os.environ:
        credentials = {"iam_token": os.environ["YC_IAM_TOKEN"]}
    elif "YC_OAUTH_TOKEN" in os.environ:
        credentials = {"token": os.environ["YC_OAUTH_TOKEN"]}
    else:
        credentials = {"service_account_key": json.load(open(os.environ["YC_KEY_FILE"]))}
    return yandexcloud.SDK(endpoint=os.environ["IOTCORE_ENDPOINT"], root_certificates=root_certificates, **credentials)


def create(client: yandexcloud.SDK) -> dict:
    registry = client.create_operation_and_get_result(
        CreateRegistryRequest(folder_id=FOLDER, name="py-registry", password=PASSWORD),
        service=RegistryServiceStub,
        method_name="Create",
        response_type=Registry,
        meta_type=CreateRegistryMetadata,
    ).response
    device = client.create_operation_and_get_result(
        CreateDeviceRequest(registry_id=registry.id, name="py-device", password=PASSWORD),
        service=DeviceServiceStub,
        method_name="Create",
        response_type=Device,
        meta_type=CreateDeviceMetadata,
    ).response
    registries = client.client(RegistryServiceStub).List(ListRegistriesRequest(folder_id=FOLDER)).registries
    devices = client.client(DeviceServiceStub).List(ListDevicesRequest(registry_id=registry.id)).devices
    return {
        "registry_id": registry.id,
        "device_id": device.id,
        "password": PASSWORD,
        "registries": [entry.name for entry in registries],
        "devices": [entry.name for entry in devices],
    }


def publish(client: yandexcloud.SDK) -> dict:
    registry_id, device_id = os.environ["REGISTRY_ID"], os.environ["DEVICE_ID"]
    client.client(DeviceDataServiceStub).Publish(
        PublishDeviceDataRequest(device_id=device_id, topic=f"$devices/{device_id}/events", data=b"from the device")
    )
    client.client(RegistryDataServiceStub).Publish(
        PublishRegistryDataRequest(registry_id=registry_id, topic=f"$devices/{device_id}/commands", data=b"from the registry")
    )
    return {}


def delete(client: yandexcloud.SDK) -> dict:
    client.create_operation_and_get_result(DeleteDeviceRequest(device_id=os.environ["DEVICE_ID"]), service=DeviceServiceStub, method_name="Delete")
    client.create_operation_and_get_result(
        DeleteRegistryRequest(registry_id=os.environ["REGISTRY_ID"]), service=RegistryServiceStub, method_name="Delete"
    )
    return {"registries": [entry.name for entry in client.client(RegistryServiceStub).List(ListRegistriesRequest(folder_id=FOLDER)).registries]}


def broker(client: yandexcloud.SDK) -> dict:
    # The SDK has no service id for yandex.cloud.iot.broker and its client() refuses such a stub,
    # endpoint= or not: the README's workaround, the authenticated channel it opens to the same address.
    channel = client._channels.channel("iot-devices")
    brokers, data = BrokerServiceStub(channel), BrokerDataServiceStub(channel)
    created = client.wait_operation_and_get_result(
        brokers.Create(CreateBrokerRequest(folder_id=FOLDER, name="py-broker", password=PASSWORD)),
        response_type=Broker,
        meta_type=CreateBrokerMetadata,
    ).response
    listed = [entry.name for entry in brokers.List(ListBrokersRequest(folder_id=FOLDER)).brokers]
    data.Publish(PublishBrokerDataRequest(broker_id=created.id, topic="plant/line1", data=b"from the broker"))
    client.wait_operation_and_get_result(brokers.Delete(DeleteBrokerRequest(broker_id=created.id)))
    return {"created": listed, "after": [entry.name for entry in brokers.List(ListBrokersRequest(folder_id=FOLDER)).brokers]}


def iam_token(client: yandexcloud.SDK) -> dict:
    # What the SDK's credentials plugin sends to IamTokenService for this key file, sent the same way.
    request = get_auth_token_requester(
        service_account_key=json.load(open(os.environ["YC_KEY_FILE"])), endpoint=os.environ["IOTCORE_ENDPOINT"]
    ).get_token_request()
    response = client.client(IamTokenServiceStub).Create(request)
    return {"iam_token": response.iam_token, "expires_at": response.expires_at.ToJsonString()}


def list_registries(client: yandexcloud.SDK) -> dict:
    return {"registries": [entry.name for entry in client.client(RegistryServiceStub).List(ListRegistriesRequest(folder_id=FOLDER)).registries]}


STEPS = {
    "create": create,
    "publish": publish,
    "delete": delete,
    "broker": broker,
    "list": list_registries,
    "iam-token": iam_token,
}

if __name__ == "__main__":
    try:
        result = STEPS[sys.argv[1]](sdk())
    except grpc.RpcError as error:
        result = {"code": error.code().name, "details": error.details()}
    print(json.dumps(result))
