#include <criterion/criterion.h>
#include <unistd.h>

#include "core/rw_buf.h"
#include "core/rw_cur.h"
#include "core/rw_hex.h"

Test(rw_cur, reads_big_endian_in_order)
{
    const uint8_t data[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    struct rw_cur c;
    rw_cur_init(&c, data, sizeof(data));
    uint8_t a;
    uint16_t b;
    uint32_t d;
    cr_assert(rw_ok(rw_cur_read_u8(&c, &a)));
    cr_assert(rw_ok(rw_cur_read_u16(&c, &b)));
    cr_assert(rw_ok(rw_cur_read_u32(&c, &d)));
    cr_assert_eq(a, 0x01);
    cr_assert_eq(b, 0x0203);
    cr_assert_eq(d, 0x04050607u);
    cr_assert_eq(rw_cur_remaining(&c), 0);
}

Test(rw_cur, failed_read_moves_nothing)
{
    const uint8_t data[] = {0xAA, 0xBB, 0xCC};
    struct rw_cur c;
    rw_cur_init(&c, data, sizeof(data));
    uint32_t v = 7;
    struct rw_result r = rw_cur_read_u32(&c, &v);
    cr_assert_eq(r.err, RW_ERR_PROTO_TRUNCATED);
    cr_assert_eq(v, 7);
    cr_assert_eq(c.pos, 0);
    struct rw_slice s;
    cr_assert(rw_ok(rw_cur_read_slice(&c, 3, &s)));
    cr_assert_eq(s.ptr, data);
    cr_assert_eq(rw_cur_read_slice(&c, 1, &s).err, RW_ERR_PROTO_TRUNCATED);
    cr_assert_eq(rw_cur_skip(&c, SIZE_MAX).err, RW_ERR_PROTO_TRUNCATED);
    cr_assert_eq(c.pos, 3);
}

Test(rw_cur, u64_and_empty_cursor)
{
    const uint8_t data[] = {0, 0, 0, 1, 0, 0, 0, 2};
    struct rw_cur c;
    rw_cur_init(&c, data, sizeof(data));
    uint64_t v;
    cr_assert(rw_ok(rw_cur_read_u64(&c, &v)));
    cr_assert_eq(v, 0x0000000100000002ull);
    rw_cur_init(&c, NULL, 10);
    uint8_t b;
    cr_assert_eq(rw_cur_read_u8(&c, &b).err, RW_ERR_PROTO_TRUNCATED);
}

Test(rw_buf, grows_to_max_then_refuses)
{
    struct rw_buf b;
    rw_buf_init(&b, 10);
    cr_assert(rw_ok(rw_buf_append(&b, "hello", 5)));
    cr_assert(rw_ok(rw_buf_append_u32(&b, 0x01020304)));
    cr_assert_eq(b.len, 9);
    cr_assert_eq(rw_buf_append(&b, "xy", 2).err, RW_ERR_LIMIT);
    cr_assert_eq(b.len, 9, "a refused append changes nothing");
    cr_assert_eq(b.data[5], 0x01);
    rw_buf_consume(&b, 5);
    cr_assert_eq(b.len, 4);
    cr_assert_eq(b.data[0], 0x01);
    rw_buf_wipe_cleanup(&b);
    cr_assert_null(b.data);
}

Test(rw_buf, read_file_limits)
{
    char path[] = "/tmp/rwbufXXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "0123456789", 10), 10);
    close(fd);
    struct rw_buf b;
    rw_buf_init(&b, 5);
    cr_assert_eq(rw_buf_read_file(&b, path).err, RW_ERR_LIMIT);
    rw_buf_cleanup(&b);
    rw_buf_init(&b, 64);
    cr_assert(rw_ok(rw_buf_read_file(&b, path)));
    cr_assert_str_eq((char *)b.data, "0123456789");
    rw_buf_cleanup(&b);
    unlink(path);
    cr_assert_eq(rw_buf_read_file(&b, path).err, RW_ERR_NOT_FOUND);
}

Test(rw_hex, round_trip_and_rejects)
{
    const uint8_t in[] = {0x0A, 0xFF, 0x00, 0x7B};
    char hex[9];
    rw_hex_encode(in, 4, hex);
    cr_assert_str_eq(hex, "0AFF007B");
    uint8_t out[4];
    size_t n;
    cr_assert(rw_ok(rw_hex_decode("0aff007b", out, sizeof(out), &n)));
    cr_assert_eq(n, 4);
    cr_assert_arr_eq(out, in, 4);
    cr_assert(rw_ok(rw_hex_decode("0xABC", out, sizeof(out), &n)));
    cr_assert_eq(n, 2);
    cr_assert_eq(out[0], 0x0A);
    cr_assert_eq(out[1], 0xBC);
    cr_assert_eq(rw_hex_decode("zz", out, sizeof(out), &n).err, RW_ERR_USAGE);
    cr_assert_eq(rw_hex_decode("0011223344", out, sizeof(out), &n).err, RW_ERR_USAGE);
    cr_assert_eq(rw_hex_decode("", out, sizeof(out), &n).err, RW_ERR_USAGE);
}

Test(rw_result, names_and_categories)
{
    cr_assert_str_eq(rw_err_name(RW_ERR_AUTH_REVOKED), "AUTH_REVOKED");
    cr_assert_eq(rw_err_category(RW_ERR_AUTH_REVOKED), RW_CAT_AUTH);
    cr_assert_eq(rw_err_category(RW_ERR_PROTO_TOO_LARGE), RW_CAT_PROTO);
    rw_err_detail_set("a %d", 1);
    rw_err_detail_append(" b");
    cr_assert_str_eq(rw_err_detail(), "a 1 b");
    struct rw_result r = RW_ERR(RW_ERR_STATE);
    cr_assert_eq(r.err, RW_ERR_STATE);
    cr_assert(rw_err_line() > 0);
}
