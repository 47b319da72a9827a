# A complete client session driven from inside the IRQ handler, each step
# started by the event that ends the previous one: connect -> discover the
# service -> its characteristics -> the descriptors of the notifying one ->
# MTU exchange -> CCCD write -> read -> write a command -> the notification
# that answers it -> disconnect. The server also works from its handler: it
# refreshes the value on READ_REQUEST and answers the command with
# gatts_write(..., send_update=True). The main programs only wait.
# Both sides print every event, so an unexpected one shows in the diff.
#
# instance0 is the server (peripheral), instance1 the client (central).
from micropython import const
import time, machine, bluetooth

TIMEOUT_MS = 8000

_IRQ_CENTRAL_CONNECT = const(1)
_IRQ_CENTRAL_DISCONNECT = const(2)
_IRQ_GATTS_WRITE = const(3)
_IRQ_GATTS_READ_REQUEST = const(4)
_IRQ_PERIPHERAL_CONNECT = const(7)
_IRQ_PERIPHERAL_DISCONNECT = const(8)
_IRQ_GATTC_SERVICE_RESULT = const(9)
_IRQ_GATTC_SERVICE_DONE = const(10)
_IRQ_GATTC_CHARACTERISTIC_RESULT = const(11)
_IRQ_GATTC_CHARACTERISTIC_DONE = const(12)
_IRQ_GATTC_DESCRIPTOR_RESULT = const(13)
_IRQ_GATTC_DESCRIPTOR_DONE = const(14)
_IRQ_GATTC_READ_RESULT = const(15)
_IRQ_GATTC_READ_DONE = const(16)
_IRQ_GATTC_WRITE_DONE = const(17)
_IRQ_GATTC_NOTIFY = const(18)
_IRQ_MTU_EXCHANGED = const(21)

SVC_UUID = bluetooth.UUID("2b7d4000-c3a1-4f55-b0e2-99d1a6f8e713")
STATE_UUID = bluetooth.UUID("2b7d4001-c3a1-4f55-b0e2-99d1a6f8e713")
CMD_UUID = bluetooth.UUID("2b7d4002-c3a1-4f55-b0e2-99d1a6f8e713")
CCCD_UUID = bluetooth.UUID(0x2902)
SERVICE = (
    SVC_UUID,
    (
        (STATE_UUID, bluetooth.FLAG_READ | bluetooth.FLAG_NOTIFY),
        (CMD_UUID, bluetooth.FLAG_WRITE),
    ),
)

NAMES = {
    1: "CENTRAL_CONNECT",
    2: "CENTRAL_DISCONNECT",
    3: "GATTS_WRITE",
    4: "GATTS_READ_REQUEST",
    7: "PERIPHERAL_CONNECT",
    8: "PERIPHERAL_DISCONNECT",
    9: "GATTC_SERVICE_RESULT",
    10: "GATTC_SERVICE_DONE",
    11: "GATTC_CHARACTERISTIC_RESULT",
    12: "GATTC_CHARACTERISTIC_DONE",
    13: "GATTC_DESCRIPTOR_RESULT",
    14: "GATTC_DESCRIPTOR_DONE",
    15: "GATTC_READ_RESULT",
    16: "GATTC_READ_DONE",
    17: "GATTC_WRITE_DONE",
    18: "GATTC_NOTIFY",
    21: "MTU_EXCHANGED",
}

finished = []


def wait_finished():
    start = time.ticks_ms()
    while not finished:
        if time.ticks_diff(time.ticks_ms(), start) > TIMEOUT_MS:
            raise RuntimeError("the flow stopped")
        machine.idle()


def event_name(event):
    return NAMES.get(event, "event {}".format(event))


class Server:
    def __init__(self):
        ((self.state, self.cmd),) = ble.gatts_register_services((SERVICE,))
        ble.gatts_write(self.state, b"stale")
        self.reads = 0

    def irq(self, event, data):
        print(event_name(event))
        if event == _IRQ_GATTS_READ_REQUEST:
            # Refresh the value just before the stack serves it.
            self.reads += 1
            ble.gatts_write(self.state, "fresh #{}".format(self.reads))
        elif event == _IRQ_GATTS_WRITE:
            command = ble.gatts_read(self.cmd)
            print("  command", command)
            ble.gatts_write(self.state, b"did " + command, True)
        elif event == _IRQ_MTU_EXCHANGED:
            print("  mtu", data[1])
        elif event == _IRQ_CENTRAL_DISCONNECT:
            finished.append(True)


class Client:
    def __init__(self):
        self.conn = None
        self.range = None
        self.chars = {}
        self.cccd = None

    def irq(self, event, data):
        print(event_name(event))
        if event == _IRQ_PERIPHERAL_CONNECT:
            self.conn = data[0]
            ble.gattc_discover_services(self.conn, SVC_UUID)
        elif event == _IRQ_GATTC_SERVICE_RESULT:
            self.range = (data[1], data[2])
            print("  service", data[3])
        elif event == _IRQ_GATTC_SERVICE_DONE:
            ble.gattc_discover_characteristics(self.conn, self.range[0], self.range[1])
        elif event == _IRQ_GATTC_CHARACTERISTIC_RESULT:
            conn, end, value, props, uuid = data
            self.chars[bluetooth.UUID(uuid)] = (value, end)
            print("  characteristic", uuid, hex(props))
        elif event == _IRQ_GATTC_CHARACTERISTIC_DONE:
            value, end = self.chars[STATE_UUID]
            ble.gattc_discover_descriptors(self.conn, value, end)
        elif event == _IRQ_GATTC_DESCRIPTOR_RESULT:
            if data[2] == CCCD_UUID:
                self.cccd = data[1]
                print("  CCCD")
        elif event == _IRQ_GATTC_DESCRIPTOR_DONE:
            ble.gattc_exchange_mtu(self.conn)
        elif event == _IRQ_MTU_EXCHANGED:
            print("  mtu", data[1])
            ble.gattc_write(self.conn, self.cccd, b"\x01\x00", 1)
        elif event == _IRQ_GATTC_WRITE_DONE:
            print("  status", data[2])
            if data[1] == self.cccd:
                ble.gattc_read(self.conn, self.chars[STATE_UUID][0])
        elif event == _IRQ_GATTC_READ_RESULT:
            print("  value", bytes(data[2]))
        elif event == _IRQ_GATTC_READ_DONE:
            print("  status", data[2])
            ble.gattc_write(self.conn, self.chars[CMD_UUID][0], "blink", 1)
        elif event == _IRQ_GATTC_NOTIFY:
            print("  notified", bytes(data[2]))
            ble.gap_disconnect(self.conn)
        elif event == _IRQ_PERIPHERAL_DISCONNECT:
            finished.append(True)


# Server.
def instance0():
    ble.config(mtu=64)
    server = Server()
    ble.irq(server.irq)
    multitest.globals(BDADDR=ble.config("mac"))
    ble.gap_advertise(20_000, b"\x02\x01\x06")
    multitest.next()
    try:
        wait_finished()
    finally:
        ble.active(0)


# Client.
def instance1():
    ble.config(mtu=100)
    client = Client()
    ble.irq(client.irq)
    multitest.next()
    try:
        ble.gap_connect(BDADDR[0], BDADDR[1])
        wait_finished()
    finally:
        ble.active(0)


ble = bluetooth.BLE()
ble.active(1)
