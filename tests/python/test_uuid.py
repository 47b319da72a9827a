# SPDX-License-Identifier: MIT
"""bluetooth.UUID against shared/API.md 1.2 (no controller needed)."""

import unittest

import bluetooth
from bluetooth import UUID


class UuidConstruction(unittest.TestCase):
    def test_int_is_16_bit(self):
        u = UUID(0x180F)
        self.assertEqual(bytes(u), b"\x0f\x18")
        self.assertEqual(repr(u), "UUID(0x180f)")

    def test_int_zero_and_max(self):
        self.assertEqual(repr(UUID(0)), "UUID(0x0000)")
        self.assertEqual(repr(UUID(65535)), "UUID(0xffff)")

    def test_int_too_big_is_value_error(self):
        with self.assertRaises(ValueError) as cm:
            UUID(65536)
        self.assertEqual(str(cm.exception), "invalid UUID")
        with self.assertRaises(ValueError):
            UUID(1 << 80)

    def test_raw_buffers_are_little_endian(self):
        self.assertEqual(repr(UUID(b"\x0d\x18")), "UUID(0x180d)")
        self.assertEqual(repr(UUID(bytearray(b"\x41\x42\x31\x32"))), "UUID(0x32314241)")
        raw = bytes(range(16))
        u = UUID(raw)
        self.assertEqual(bytes(u), raw)
        self.assertEqual(repr(u), "UUID('0f0e0d0c-0b0a-0908-0706-050403020100')")
        self.assertEqual(UUID(memoryview(b"\x0d\x18")), UUID(0x180D))

    def test_str_of_length_4_is_raw_32_bit(self):
        # The quirk aioble's ble_advertise_services depends on.
        self.assertEqual(repr(UUID("AB12")), "UUID(0x32314241)")
        self.assertEqual(UUID("AB12"), UUID(b"AB12"))
        self.assertEqual(repr(UUID("CD34")), "UUID(0x34334443)")

    def test_str_of_length_2_and_16_are_raw(self):
        self.assertEqual(bytes(UUID("ab")), b"ab")
        self.assertEqual(bytes(UUID("0123456789abcdef")), b"0123456789abcdef")

    def test_text_128_bit(self):
        u = UUID("6E400001-B5A3-F393-E0A9-E50E24DCCA9E")
        self.assertEqual(repr(u), "UUID('6e400001-b5a3-f393-e0a9-e50e24dcca9e')")
        self.assertEqual(str(u), repr(u))
        self.assertEqual(bytes(u)[0], 0x9E)
        self.assertEqual(bytes(u)[15], 0x6E)

    def test_text_dashes_ignored_anywhere(self):
        a = UUID("6e400001b5a3f393e0a9e50e24dcca9e")
        b = UUID("-6e-400001b5a3f393e0a9e50e24dcca9e---")
        c = UUID("6e40-0001-b5a3-f393-e0a9-e50e-24dc-ca9e")
        self.assertEqual(a, b)
        self.assertEqual(a, c)

    def test_text_bytes_object_is_parsed_too(self):
        self.assertEqual(UUID(b"6e400001-b5a3-f393-e0a9-e50e24dcca9e"),
                         UUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e"))

    def test_text_errors(self):
        for text, msg in (("6e400001-b5a3-f393-e0a9-e50e24dcca9", "UUID too short"),
                          ("6e400001-b5a3-f393-e0a9-e50e24dcca9e0", "UUID too long"),
                          ("6e400001-b5a3-f393-e0a9-e50e24dcca9g", "invalid char in UUID"),
                          ("abc", "UUID too short"),
                          ("", "UUID too short"),
                          ("xyz", "invalid char in UUID")):
            with self.assertRaises(ValueError, msg=text) as cm:
                UUID(text)
            self.assertEqual(str(cm.exception), msg, text)

    def test_bad_char_reported_before_length(self):
        with self.assertRaises(ValueError) as cm:
            UUID("0" * 40 + "z")
        self.assertEqual(str(cm.exception), "UUID too long")
        with self.assertRaises(ValueError) as cm:
            UUID("z" + "0" * 40)
        self.assertEqual(str(cm.exception), "invalid char in UUID")

    def test_copy_from_uuid(self):
        for u in (UUID(0x2902), UUID("AB12"), UUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e")):
            c = UUID(u)
            self.assertIsNot(c, u)
            self.assertEqual(c, u)
            self.assertEqual(repr(c), repr(u))

    def test_non_buffer_is_type_error(self):
        for bad in (1.5, None, [1, 2], object()):
            with self.assertRaises(TypeError, msg=repr(bad)):
                UUID(bad)

    def test_exactly_one_argument(self):
        with self.assertRaises(TypeError):
            UUID()
        with self.assertRaises(TypeError):
            UUID(1, 2)
        with self.assertRaises(TypeError):
            UUID(value=1)


class UuidBehaviour(unittest.TestCase):
    def test_buffer_is_read_only(self):
        m = memoryview(UUID(0x180F))
        self.assertTrue(m.readonly)
        self.assertEqual(m.tobytes(), b"\x0f\x18")
        with self.assertRaises(TypeError):
            m[0] = 1

    def test_advertising_payload_built_from_bytes(self):
        payload = bytearray(b"\x03\x03") + bytes(UUID(0x180F))
        self.assertEqual(bytes(payload), b"\x03\x03\x0f\x18")

    def test_equality_same_width(self):
        self.assertEqual(UUID(0x180F), UUID(0x180F))
        self.assertNotEqual(UUID(0x180F), UUID(0x180D))

    def test_different_widths_never_equal(self):
        base = UUID("0000180f-0000-1000-8000-00805f9b34fb")
        self.assertNotEqual(UUID(0x180F), base)
        self.assertNotEqual(UUID(b"\x0f\x18\x00\x00"), UUID(0x180F))

    def test_ordering(self):
        self.assertLess(UUID(0x180F), UUID(b"\x0f\x18\x00\x00"))  # width first
        self.assertLess(UUID(b"\x00\x01"), UUID(b"\x01\x00"))     # then bytes in storage order
        self.assertGreaterEqual(UUID(5), UUID(5))

    def test_non_uuid_operand(self):
        self.assertFalse(UUID(0x180F) == 0x180F)
        self.assertFalse(UUID(0x180F) == b"\x0f\x18")
        self.assertTrue(UUID(0x180F) != "x")
        with self.assertRaises(TypeError):
            UUID(1) < 1  # noqa: B015

    def test_hashable_and_dict_keys(self):
        d = {(UUID(0x180F), 1): "a", UUID("6e400001-b5a3-f393-e0a9-e50e24dcca9e"): "b"}
        self.assertEqual(d[(UUID(0x180F), 1)], "a")
        self.assertEqual(d[UUID("6E400001B5A3F393E0A9E50E24DCCA9E")], "b")
        self.assertEqual(hash(UUID(7)), hash(UUID(7)))
        self.assertEqual(len({UUID(1), UUID(1), UUID(2)}), 2)

    def test_no_other_public_attributes(self):
        public = [n for n in dir(UUID(1)) if not n.startswith("_")]
        self.assertEqual(public, [])

    def test_type_lives_in_module(self):
        self.assertIs(type(UUID(1)), bluetooth.UUID)


if __name__ == "__main__":
    unittest.main()
