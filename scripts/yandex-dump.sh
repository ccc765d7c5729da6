#!/usr/bin/env bash
# Dumps a Yandex IoT Core folder with `yc` into the layout `iotcore import yandex --dump DIR` reads:
#
#   DIR/registries.json                      yc iot registry list --format json
#   DIR/brokers.json                         yc iot broker list --format json
#   DIR/registries/<id>/devices.json         yc iot device list --registry-id <id> --format json
#   DIR/registries/<id>/topic-aliases.json   yc iot registry list-device-topic-aliases --id <id> --format json
#   DIR/registries/<id>/certificates.json    yc iot registry certificate list --registry-id <id> --format json
#   DIR/registries/<id>/passwords.json       yc iot registry password list --registry-id <id> --format json
#   DIR/registries/<id>/yds-exports.json     yc iot registry yds-export list --registry-id <id> --format json
#   DIR/devices/<id>/certificates.json       yc iot device certificate list --device-id <id> --format json
#   DIR/devices/<id>/passwords.json          yc iot device password list --device-id <id> --format json
#   DIR/brokers/<id>/certificates.json       yc iot broker certificate list --broker-id <id> --format json
#   DIR/brokers/<id>/passwords.json          yc iot broker password list --broker-id <id> --format json
#   DIR/triggers.json                        yc serverless trigger list --format json (every kind; the import
#                                            reports the IoT ones with the command that recreates each)
#
# Needs a configured `yc` (yc init) and `jq`. Usage: scripts/yandex-dump.sh DIR [FOLDER_ID]
# Passwords are not in the dump: Yandex keeps only their hashes (see docs/migration.md).
set -euo pipefail

dir=${1:?usage: $0 DIR [FOLDER_ID]}
folder=()
if [[ -n ${2:-} ]]; then folder=(--folder-id "$2"); fi
limit=100000

mkdir -p "$dir"
yc iot registry list "${folder[@]}" --limit "$limit" --format json >"$dir/registries.json"
yc iot broker list "${folder[@]}" --limit "$limit" --format json >"$dir/brokers.json"

for registry in $(jq -r '.[].id' "$dir/registries.json"); do
  out="$dir/registries/$registry"
  mkdir -p "$out"
  echo "registry $registry" >&2
  yc iot registry certificate list --registry-id "$registry" --format json >"$out/certificates.json"
  yc iot registry password list --registry-id "$registry" --format json >"$out/passwords.json"
  yc iot registry list-device-topic-aliases --id "$registry" --limit "$limit" --format json >"$out/topic-aliases.json"
  yc iot registry yds-export list --registry-id "$registry" --format json >"$out/yds-exports.json"
  yc iot device list --registry-id "$registry" --limit "$limit" --format json >"$out/devices.json"
  for device in $(jq -r '.[].id' "$out/devices.json"); do
    mkdir -p "$dir/devices/$device"
    yc iot device certificate list --device-id "$device" --format json >"$dir/devices/$device/certificates.json"
    yc iot device password list --device-id "$device" --format json >"$dir/devices/$device/passwords.json"
  done
done

for broker in $(jq -r '.[].id' "$dir/brokers.json"); do
  mkdir -p "$dir/brokers/$broker"
  echo "broker $broker" >&2
  yc iot broker certificate list --broker-id "$broker" --format json >"$dir/brokers/$broker/certificates.json"
  yc iot broker password list --broker-id "$broker" --format json >"$dir/brokers/$broker/passwords.json"
done
# Triggers belong to Cloud Functions, which may be closed to this account: say so, never skip silently
# (without triggers.json the import reports that triggers were not read).
if yc serverless trigger list "${folder[@]}" --format json >"$dir/triggers.json.part"; then
  mv "$dir/triggers.json.part" "$dir/triggers.json"
else
  rm -f "$dir/triggers.json.part"
  echo "warning: yc serverless trigger list failed: IoT triggers are not in the dump" >&2
fi
echo "dump written to $dir" >&2
