"""pos_autonomous's system parameters (declared in its system_parameters.yaml)."""
SYNC_INTERVAL_MS = "pos_autonomous.sync_interval_ms"
REQUEST_TIMEOUT_MS = "pos_autonomous.request_timeout_ms"
RETRY_WAIT_MS = "pos_autonomous.retry_wait_ms"
MAX_RETRY_WAIT_MS = "pos_autonomous.max_retry_wait_ms"
PAGE_SIZE = "pos_autonomous.page_size"
TOMBSTONE_RETENTION_DAYS = "pos_autonomous.tombstone_retention_days"
SERVER_URL = "pos_autonomous.server_url"
PUSH_BATCH_SIZE = "pos_autonomous.push_batch_size"
EXPORT_INTERVAL_S = "pos_autonomous.export_interval_s"
PUSH_SLOTS = "pos_autonomous.push_slots"
PUSH_QUEUE_MS = "pos_autonomous.push_queue_ms"


def read(instance, connection, manager=None):
    parameters = instance.parameters(connection, manager)
    return {key: parameters.get(key) for key in (
        SYNC_INTERVAL_MS, REQUEST_TIMEOUT_MS, RETRY_WAIT_MS, MAX_RETRY_WAIT_MS, PAGE_SIZE,
        TOMBSTONE_RETENTION_DAYS, SERVER_URL, PUSH_BATCH_SIZE, EXPORT_INTERVAL_S)}
