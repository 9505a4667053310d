"""moto's server with DynamoDB requests serialised.

moto applies a conditional UpdateItem as read-check-write without a lock, so concurrent ADDs on
one item can lose an update. Real DynamoDB serialises writes to an item; running DynamoDB calls
one at a time restores that guarantee. S3 calls stay concurrent.

moto also deep-copies every table a TransactWriteItems touches, to roll back a cancelled
transaction: each transaction then costs time in proportion to the whole table (a 10,000-chunk
ledger makes it hundreds of milliseconds), which real DynamoDB does not. With DynamoDB calls
serialised, copying only the items the transaction names is an equivalent rollback (moto's
stream records of a cancelled transaction are not rolled back; nothing here reads them).
"""
import copy
import os
import signal
import sys
import threading

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.table import Table
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import run_simple

_dynamodb_lock = threading.Lock()


class SerialDynamoDB:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _dynamodb_lock:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


class _TablesUncopied:
    """The `copy` module as moto's DynamoDB backend sees it: tables are shared, not deep-copied."""

    def __getattr__(self, name):
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _item_level_rollback(transact):
    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            names = [n for n in (table.hash_key_attr, table.range_key_attr) if n]
            keys = op.get("Key") or {n: op.get("Item", {})[n] for n in names if n in op.get("Item", {})}
            try:
                hash_key, range_key = self.get_keys_value(table, keys)
            except Exception:
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return transact(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                items = table.items[hash_key] if table.has_range_key else table.items
                slot = range_key if table.has_range_key else hash_key
                if item is None:
                    items.pop(slot, None)
                else:
                    items[slot] = item
            raise

    return transact_write_items


dynamodb_models.copy = _TablesUncopied()
dynamodb_models.DynamoDBBackend.transact_write_items = _item_level_rollback(
    dynamodb_models.DynamoDBBackend.transact_write_items
)


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, SerialDynamoDB(app), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
