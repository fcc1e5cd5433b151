"""Events from outside: plate reads over MQTT, Meraki alert webhooks and generic events.

Modules: `mqtt` (the broker connection), `decode` (plate payloads), `plates` (plate
ingest), `sightings` (reads → sightings → alerts, in the store), `hooks` (the /hooks/*
routes), `intake` (webhook bodies → events → alerts), `routing` (which rooms hear of an
event), `ledger` (events and alerts), `watchlist` (what rooms asked for), `tables` (the
live table shapes), `broker` (the demo's embedded broker) and `service` (assembly).
Delivery to rooms is bot.events.announce. Nothing is imported here, so that importing one
module (the tables, say) does not pull in the rest.
"""
