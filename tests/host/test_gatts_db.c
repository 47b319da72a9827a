/* SPDX-License-Identifier: MIT */
/*
 * test_gatts_db.c: the attribute database and value store
 * (src/host/gatts_db.c) and the bh_ble_gatts_* API over them
 * (src/ble/ble_gatts.c): the handle layout API.md requires, the value
 * store semantics of API.md 1.5, exhaustion and the API's errors.
 */
#include "gatts_fixture.h"

static const struct bh_uuid u_svc = {2, {0x0d, 0x18}};
static const struct bh_uuid u_chr = {2, {0x37, 0x2a}};
static const struct bh_uuid u_d1 = {2, {0x01, 0x29}};
static const struct bh_uuid u_d2 = {2, {0x04, 0x29}};

static void test_gatts_db_gap_gatt_layout(void)
{
    static const uint8_t kinds[] = {
        BH_GATTS_KIND_SERVICE,  BH_GATTS_KIND_CHR_DECL, BH_GATTS_KIND_VALUE,
        BH_GATTS_KIND_CHR_DECL, BH_GATTS_KIND_VALUE,    BH_GATTS_KIND_SERVICE,
        BH_GATTS_KIND_CHR_DECL, BH_GATTS_KIND_VALUE,    BH_GATTS_KIND_CCCD};

    fx_setup();
    BH_CHECK_EQ(bh_gatts_db_last_handle(), 9);
    for (uint16_t h = 1; h <= 9; h++) {
        BH_CHECK_EQ(bh_gatts_db_attr(h)->kind, kinds[h - 1]);
    }
    BH_CHECK(bh_gatts_db_attr(0) == NULL);
    BH_CHECK(bh_gatts_db_attr(10) == NULL);
    BH_CHECK_EQ(bh_gatts_db_sc_handle(), 8);
    BH_CHECK_EQ(bh_gatts_db_group_end(1), 5);
    BH_CHECK_EQ(bh_gatts_db_group_end(6), 9);
    /* an empty registration leaves GAP and GATT only */
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_end(), 0);
    BH_CHECK_EQ(bh_gatts_db_last_handle(), 9);
    fx_teardown();
}

/* One notify characteristic spans 4 handles (API.md 1.3: end - start == 3);
 * the CCCD comes right after the value, user descriptors after the CCCD. */
static void test_gatts_db_register_layout(void)
{
    const struct bh_uuid *chrs[] = {&u_chr};
    const uint16_t flags[] = {BH_FLAG_READ | BH_FLAG_NOTIFY};
    const struct bh_uuid *dscs[] = {&u_d1, &u_d2};
    const uint16_t dflags[] = {BH_FLAG_READ, BH_FLAG_READ | BH_FLAG_WRITE};
    const uint8_t ndsc0[] = {0}, ndsc2[] = {2};
    uint16_t handles[3];

    fx_setup();
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&u_svc, chrs, flags, NULL, NULL, ndsc0, handles, 1),
                0);
    BH_CHECK_EQ(handles[0], 12);
    BH_CHECK_EQ(bh_gatts_db_group_end(10) - 10, 3);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&u_svc, chrs, flags, dscs, dflags, ndsc2, handles, 1),
                0);
    BH_CHECK_EQ(bh_ble_gatts_register_end(), 0);
    BH_CHECK_EQ(handles[0], 16);
    BH_CHECK_EQ(handles[1], 18);
    BH_CHECK_EQ(handles[2], 19);
    BH_CHECK_EQ(bh_gatts_db_group_end(14), 19);
    /* as a client discovers it: declaration, value, CCCD, descriptors */
    fx_send("04 0f 00 13 00");
    FX_EXPECT("05 01 0f00 0328 1000 372a 1100 0229 1200 0129 1300 0429");
    fx_send("0a 0f 00");
    FX_EXPECT("0b 12 10 00 37 2a");
    fx_send("10 01 00 ff ff 00 28");
    FX_EXPECT("11 06 0100 0500 0018 0600 0900 0118 0a00 0d00 0d18");
    fx_send("10 0e 00 ff ff 00 28");
    FX_EXPECT("11 06 0e00 1300 0d18");
    /* re-registration starts over */
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_gatts_db_last_handle(), 9);
    BH_CHECK_EQ(bh_ble_gatts_register_begin(true), -EOPNOTSUPP);
    fx_teardown();
}

static void test_gatts_db_uuid32_stored_as_128(void)
{
    const struct bh_uuid u32 = {4, {0x41, 0x42, 0x31, 0x32}};
    const struct bh_uuid *chrs[] = {&u32};
    const uint16_t flags[] = {BH_FLAG_READ};
    uint16_t handles[1];

    fx_setup();
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&u32, chrs, flags, NULL, NULL, NULL, handles, 1), 0);
    BH_CHECK_EQ(bh_gatts_db_attr(10)->uuid_len, 16);
    fx_send("0a 0a 00");
    FX_EXPECT("0b fb349b5f8000008000100000 41423132");
    fx_teardown();
}

static void test_gatts_db_register_errors_roll_back(void)
{
    const struct bh_uuid bad = {3, {0}};
    const struct bh_uuid *chrs[] = {&u_chr, &bad};
    const uint16_t flags[] = {BH_FLAG_READ, BH_FLAG_READ};
    uint16_t handles[2];

    fx_setup();
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&bad, chrs, flags, NULL, NULL, NULL, handles, 1),
                -EINVAL);
    BH_CHECK_EQ(bh_ble_gatts_register_service(&u_svc, chrs, flags, NULL, NULL, NULL, handles, 2),
                -EINVAL);
    BH_CHECK_EQ(bh_gatts_db_last_handle(), 9);
    fx_teardown();
}

static void test_gatts_db_attrs_exhausted(void)
{
    const struct bh_uuid *chrs[] = {&u_chr};
    const uint16_t flags[] = {BH_FLAG_READ | BH_FLAG_NOTIFY};
    uint16_t handles[1], last;
    int err;

    fx_setup();
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), 0);
    do {
        last = bh_gatts_db_last_handle();
        err = bh_ble_gatts_register_service(&u_svc, chrs, flags, NULL, NULL, NULL, handles, 1);
    } while (err == 0);
    BH_CHECK_EQ(err, -ENOMEM);
    BH_CHECK_EQ(bh_gatts_db_last_handle(), last); /* the failed service left nothing */
    BH_CHECK(last + 4 > BH_CONFIG_GATTS_MAX_ATTRS);
    fx_teardown();
}

static void test_gatts_db_value_store(void)
{
    uint8_t big[64];
    const uint8_t *v;
    size_t len;

    fx_setup();
    fx_register();
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 0); /* empty initially */
    BH_CHECK_EQ(bh_gatts_db_attr(12)->val_cap, 20);
    BH_CHECK_EQ(bh_gatts_db_attr(14)->val_cap, 20); /* descriptors too */
    memset(big, 0xA5, sizeof(big));
    BH_CHECK_EQ(bh_ble_gatts_write(12, big, sizeof(big), false), 0); /* grows */
    BH_CHECK_EQ(bh_gatts_db_attr(12)->val_cap, 64);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 64);
    BH_CHECK_MEM(v, big, 64);
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"ab", 2, false), 0);
    BH_CHECK_EQ(bh_gatts_db_attr(12)->val_cap, 64); /* never shrinks on write */
    BH_CHECK_EQ(bh_ble_gatts_set_buffer(12, 8, true), 0);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 0); /* set_buffer clears */
    BH_CHECK_EQ(bh_gatts_store_remote_write(12, (const uint8_t *)"12345", 5), 0);
    BH_CHECK_EQ(bh_gatts_store_remote_write(12, (const uint8_t *)"6789", 4), 0);
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_HEX(v, len, "31 32 33 34 35 36 37 38");
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 0); /* drained */
    fx_teardown();
}

static void test_gatts_db_value_pool_compacts_then_enomem(void)
{
    static uint8_t huge[BH_CONFIG_GATTS_VALUE_POOL];
    uint8_t chunk[200];
    const uint8_t *v;
    size_t len;

    fx_setup();
    fx_register();
    BH_CHECK_EQ(bh_ble_gatts_write(14, (const uint8_t *)"keep", 4, false), 0);
    BH_CHECK_EQ(bh_ble_gatts_write(12, huge, sizeof(huge), false), -ENOMEM);
    /* growing one value again and again abandons regions; compaction
     * reclaims them, so this never runs out */
    for (unsigned i = 0; i < 60; i++) {
        memset(chunk, (int)i, sizeof(chunk));
        BH_CHECK_EQ(bh_ble_gatts_set_buffer(16, 0, false), 0);
        BH_CHECK_EQ(bh_ble_gatts_write(16, chunk, 100 + i, false), 0);
        BH_CHECK_EQ(bh_ble_gatts_read(16, &v, &len), 0);
        BH_CHECK_EQ(len, 100 + i);
        BH_CHECK_MEM(v, chunk, len);
    }
    BH_CHECK_EQ(bh_ble_gatts_read(14, &v, &len), 0);
    BH_CHECK_HEX(v, len, "6b 65 65 70");
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_EQ(len, 0); /* the failed write left it alone */
    fx_teardown();
}

static void test_gatts_db_api_errors(void)
{
    const uint8_t *v;
    size_t len;

    fx_setup();
    fx_register();
    BH_CHECK_EQ(bh_ble_gatts_read(99, &v, &len), -EINVAL);
    BH_CHECK_EQ(bh_ble_gatts_read(11, &v, &len), -EINVAL); /* a declaration */
    BH_CHECK_EQ(bh_ble_gatts_read(13, &v, &len), -EINVAL); /* a CCCD */
    BH_CHECK_EQ(bh_ble_gatts_write(0, (const uint8_t *)"a", 1, false), -EINVAL);
    BH_CHECK_EQ(bh_ble_gatts_set_buffer(99, 4, false), -EINVAL);
    fx_teardown();
    BH_CHECK(!bh_ble_is_active());
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), -ENODEV);
    BH_CHECK_EQ(bh_ble_gatts_write(12, (const uint8_t *)"a", 1, false), -ENODEV);
    BH_CHECK_EQ(bh_ble_gatts_set_buffer(12, 4, false), -ENODEV);
    BH_CHECK_EQ(bh_ble_gatts_register_begin(false), -ENODEV);
    BH_CHECK_EQ(bh_ble_gatts_register_end(), -ENODEV);
    BH_CHECK_EQ(bh_ble_gatts_notify_indicate(FX_CONN, 12, BH_GATTS_NOTIFY, NULL, 0), -ENODEV);
}

/* Values persist across connections (API.md 1.5). */
static void test_gatts_db_values_survive_reconnect(void)
{
    const uint8_t *v;
    size_t len;

    fx_setup();
    fx_register();
    fx_send("12 0c 00 41");
    FX_EXPECT("13");
    fake_ctrl_inject_hex("04 05 04 00 40 00 13");
    fake_ctrl_pump();
    fx_connect(FX_CONN);
    fake_ctrl_clear_sent();
    BH_CHECK_EQ(bh_ble_gatts_read(12, &v, &len), 0);
    BH_CHECK_HEX(v, len, "41");
    fx_send("0a 0d 00"); /* but subscriptions do not */
    FX_EXPECT("0b 00 00");
    fx_teardown();
}

BH_TEST_MAIN(BH_TEST(test_gatts_db_gap_gatt_layout), BH_TEST(test_gatts_db_register_layout),
             BH_TEST(test_gatts_db_uuid32_stored_as_128),
             BH_TEST(test_gatts_db_register_errors_roll_back),
             BH_TEST(test_gatts_db_attrs_exhausted), BH_TEST(test_gatts_db_value_store),
             BH_TEST(test_gatts_db_value_pool_compacts_then_enomem),
             BH_TEST(test_gatts_db_api_errors), BH_TEST(test_gatts_db_values_survive_reconnect))
