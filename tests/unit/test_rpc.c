/* test_rpc.c - RPC framing: the incremental reader under arbitrary byte
 * splits, its protocol errors, and blocking send/recv over socketpairs. */
#include "cmocka_all.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rpc.h"

/* A raw frame: header announcing len, then text (len bytes of it). */
static size_t raw_frame(char *out, uint32_t len, const char *text)
{
    out[0] = (char)(len >> 24);
    out[1] = (char)(len >> 16);
    out[2] = (char)(len >> 8);
    out[3] = (char)len;
    if (text)
        memcpy(out + 4, text, len);
    return 4 + (size_t)len;
}

/* Encode {"op": op, "n": n} into a frame the caller frees. */
static char *encode_msg(const char *op, int n, size_t *len)
{
    json_t *o = json_pack("{s:s, s:i}", "op", op, "n", n);
    hub_error_t err;
    char *buf = NULL;

    assert_int_equal(hub_rpc_encode(o, &buf, len, &err), 0);
    json_decref(o);
    return buf;
}

/* Take the next message and check it is {"op": op, "n": n}. */
static void expect_msg(hub_rpc_reader_t *r, const char *op, int n)
{
    hub_error_t err;
    json_t *msg = NULL;

    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), 1);
    assert_string_equal(json_string_value(json_object_get(msg, "op")), op);
    assert_int_equal(json_integer_value(json_object_get(msg, "n")), n);
    json_decref(msg);
}

static void expect_need_more(hub_rpc_reader_t *r)
{
    json_t *msg = (json_t *)1;
    assert_int_equal(hub_rpc_reader_next(r, &msg, NULL), 0);
    assert_null(msg);
}

static void test_encoded_message_round_trips(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len;
    char *buf = encode_msg("submit", 7, &len);

    assert_int_equal(len, 4 + strlen("{\"op\":\"submit\",\"n\":7}"));
    assert_int_equal(buf[3], (char)(len - 4));
    expect_need_more(r);
    assert_int_equal(hub_rpc_reader_feed(r, buf, len, NULL), 0);
    expect_msg(r, "submit", 7);
    expect_need_more(r);
    assert_int_equal(hub_rpc_reader_pending_bytes(r), 0);
    free(buf);
    hub_rpc_reader_destroy(r);
}

static void test_frame_fed_one_byte_at_a_time_gives_one_message(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len, i;
    char *buf = encode_msg("cancel", 12, &len);

    for (i = 0; i < len; i++) {
        expect_need_more(r);
        assert_int_equal(hub_rpc_reader_feed(r, buf + i, 1, NULL), 0);
    }
    expect_msg(r, "cancel", 12);
    expect_need_more(r);
    free(buf);
    hub_rpc_reader_destroy(r);
}

static void test_coalesced_frames_come_out_in_order(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    char all[1024];
    size_t len, used = 0;
    int i;

    for (i = 0; i < 5; i++) {
        char *buf = encode_msg("ev", i, &len);
        memcpy(all + used, buf, len);
        used += len;
        free(buf);
    }
    assert_int_equal(hub_rpc_reader_feed(r, all, used - 3, NULL), 0);
    for (i = 0; i < 4; i++)
        expect_msg(r, "ev", i);
    expect_need_more(r);
    assert_int_equal(hub_rpc_reader_feed(r, all + used - 3, 3, NULL), 0);
    expect_msg(r, "ev", 4);
    expect_need_more(r);
    hub_rpc_reader_destroy(r);
}

static void test_frame_split_at_every_point_parses(void **state)
{
    size_t len, cut;
    char *buf = encode_msg("split", 3, &len);

    for (cut = 0; cut <= len; cut++) {
        hub_rpc_reader_t *r = hub_rpc_reader_create(0);
        assert_int_equal(hub_rpc_reader_feed(r, buf, cut, NULL), 0);
        if (cut < len)
            expect_need_more(r);
        assert_int_equal(hub_rpc_reader_feed(r, buf + cut, len - cut, NULL), 0);
        expect_msg(r, "split", 3);
        expect_need_more(r);
        hub_rpc_reader_destroy(r);
    }
    free(buf);
}

static void test_oversized_length_is_refused_before_the_body(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    char hdr[4];
    hub_error_t err;
    json_t *msg;

    raw_frame(hdr, HUB_RPC_FRAME_MAX + 1, NULL);
    assert_int_equal(hub_rpc_reader_feed(r, hdr, 3, &err), 0);
    assert_int_equal(hub_rpc_reader_feed(r, hdr + 3, 1, &err), -EMSGSIZE);
    assert_non_null(strstr(err.text, "16777217 bytes"));
    assert_non_null(strstr(err.text, "maximum of 16777216"));
    assert_int_equal(hub_rpc_reader_pending_bytes(r), 0);
    hub_error_clear(&err);
    assert_int_equal(hub_rpc_reader_feed(r, "{}", 2, &err), -EMSGSIZE);
    assert_non_null(strstr(err.text, "16777217"));
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), -EMSGSIZE);
    assert_null(msg);
    hub_rpc_reader_destroy(r);
}

static void test_reader_maximum_is_per_reader(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(10);
    char frame[32];
    size_t n;
    json_t *msg;

    n = raw_frame(frame, 10, "{\"a\":1234}");
    assert_int_equal(hub_rpc_reader_feed(r, frame, n, NULL), 0);
    assert_int_equal(hub_rpc_reader_next(r, &msg, NULL), 1);
    json_decref(msg);
    n = raw_frame(frame, 11, "{\"a\":12345}");
    assert_int_equal(hub_rpc_reader_feed(r, frame, n, NULL), -EMSGSIZE);
    hub_rpc_reader_destroy(r);
}

static void test_zero_length_frame_is_a_protocol_error(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    char frame[4];
    hub_error_t err;
    json_t *msg;

    raw_frame(frame, 0, NULL);
    assert_int_equal(hub_rpc_reader_feed(r, frame, 4, &err), -EPROTO);
    assert_non_null(strstr(err.text, "length 0"));
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), -EPROTO);
    hub_rpc_reader_destroy(r);
}

/* Feed one raw frame with body text and expect next() to fail. */
static void expect_bad_body(const char *text, const char *why)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    char frame[64];
    size_t n = raw_frame(frame, (uint32_t)strlen(text), text);
    hub_error_t err;
    json_t *msg = (json_t *)1;

    assert_int_equal(hub_rpc_reader_feed(r, frame, n, &err), 0);
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), -EBADMSG);
    assert_null(msg);
    assert_non_null(strstr(err.text, why));
    hub_error_clear(&err);
    assert_int_equal(hub_rpc_reader_next(r, &msg, &err), -EBADMSG);
    assert_non_null(strstr(err.text, why));
    hub_rpc_reader_destroy(r);
}

static void test_garbage_json_is_a_bad_message(void **state)
{
    expect_bad_body("{\"op\": nope", "not valid JSON");
}

static void test_json_array_is_not_a_message(void **state)
{
    expect_bad_body("[1, 2, 3]", "JSON array, not an object");
}

static void test_encode_refuses_a_non_object(void **state)
{
    json_t *a = json_array();
    hub_error_t err;
    char *buf = NULL;
    size_t len = 0;

    assert_int_equal(hub_rpc_encode(a, &buf, &len, &err), -EINVAL);
    assert_null(buf);
    assert_non_null(strstr(err.text, "object"));
    json_decref(a);
}

/* 50 000 coalesced frames drained one by one: a reader that memmoved the
 * tail after each frame would move ~30 GB here and time out. */
static void test_draining_many_coalesced_frames_stays_linear(void **state)
{
    enum { N = 50000 };
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len, used = 0;
    char *one = encode_msg("x", 1, &len);
    char *all = malloc(N * len);
    int i;

    for (i = 0; i < N; i++, used += len)
        memcpy(all + used, one, len);
    assert_int_equal(hub_rpc_reader_feed(r, all, used, NULL), 0);
    for (i = 0; i < N; i++)
        expect_msg(r, "x", 1);
    expect_need_more(r);
    assert_int_equal(hub_rpc_reader_pending_bytes(r), 0);
    free(one);
    free(all);
    hub_rpc_reader_destroy(r);
}

/* ---- blocking send/recv over a socketpair ---- */

static void make_pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    assert_int_equal(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

struct writer {
    int fd;
    json_t *msg;
    int rc;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    w->rc = hub_rpc_send(w->fd, w->msg, NULL);
    return NULL;
}

/* A 1 MiB string through a non-blocking socket with a small send buffer:
 * send() must take many partial writes and waits to get it all out. */
static void test_send_recv_carries_a_large_message(void **state)
{
    size_t big = 1024 * 1024;
    char *s = malloc(big + 1);
    int sv[2], sndbuf = 4096;
    struct writer w;
    pthread_t tid;
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    hub_error_t err;
    json_t *got = NULL;

    memset(s, 'q', big);
    s[big] = '\0';
    make_pair(sv);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
    set_nonblocking(sv[0]);
    w = (struct writer){.fd = sv[0], .msg = json_pack("{s:s}", "blob", s)};
    assert_int_equal(pthread_create(&tid, NULL, writer_main, &w), 0);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 10000, &err), 0);
    pthread_join(tid, NULL);
    assert_int_equal(w.rc, 0);
    assert_int_equal(json_string_length(json_object_get(got, "blob")), big);
    assert_true(json_equal(got, w.msg));
    json_decref(got);
    json_decref(w.msg);
    free(s);
    hub_rpc_reader_destroy(r);
    close(sv[0]);
    close(sv[1]);
}

static void test_recv_times_out_and_keeps_the_partial_frame(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len;
    char *buf = encode_msg("slow", 5, &len);
    hub_error_t err;
    json_t *got = (json_t *)1;
    int sv[2];

    make_pair(sv);
    assert_int_equal(write(sv[0], buf, 6), 6);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 50, &err), -ETIMEDOUT);
    assert_null(got);
    assert_non_null(strstr(err.text, "50 ms"));
    assert_int_equal(write(sv[0], buf + 6, len - 6), (ssize_t)(len - 6));
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 1000, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(got, "n")), 5);
    json_decref(got);
    free(buf);
    hub_rpc_reader_destroy(r);
    close(sv[0]);
    close(sv[1]);
}

static void test_recv_reports_peer_closed_mid_frame(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len;
    char *buf = encode_msg("cut", 1, &len);
    hub_error_t err;
    json_t *got;
    int sv[2];

    make_pair(sv);
    assert_int_equal(write(sv[0], buf, len - 2), (ssize_t)(len - 2));
    close(sv[0]);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 1000, &err), -ECONNRESET);
    assert_null(got);
    assert_non_null(strstr(err.text, "middle of a frame"));
    free(buf);
    hub_rpc_reader_destroy(r);
    close(sv[1]);
}

static void test_recv_reports_clean_close_at_a_boundary(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    hub_error_t err;
    json_t *got;
    int sv[2];

    make_pair(sv);
    close(sv[0]);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 1000, &err), -ECONNRESET);
    assert_null(strstr(err.text, "middle"));
    assert_non_null(strstr(err.text, "closed"));
    hub_rpc_reader_destroy(r);
    close(sv[1]);
}

static void test_recv_returns_coalesced_messages_one_per_call(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    json_t *a = json_pack("{s:i}", "n", 1), *b = json_pack("{s:i}", "n", 2);
    json_t *got;
    int sv[2];

    make_pair(sv);
    assert_int_equal(hub_rpc_send(sv[0], a, NULL), 0);
    assert_int_equal(hub_rpc_send(sv[0], b, NULL), 0);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 1000, NULL), 0);
    assert_true(json_equal(got, a));
    json_decref(got);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 0, NULL), 0);
    assert_true(json_equal(got, b));
    json_decref(got);
    assert_int_equal(hub_rpc_recv(sv[1], r, &got, 0, NULL), -ETIMEDOUT);
    json_decref(a);
    json_decref(b);
    hub_rpc_reader_destroy(r);
    close(sv[0]);
    close(sv[1]);
}

/* Without MSG_NOSIGNAL this test would die of SIGPIPE. */
static void test_send_to_closed_peer_fails_without_sigpipe(void **state)
{
    json_t *m = json_pack("{s:s}", "op", "ping");
    hub_error_t err;
    int sv[2];

    make_pair(sv);
    close(sv[1]);
    assert_int_equal(hub_rpc_send(sv[0], m, &err), -EPIPE);
    assert_non_null(strstr(err.text, "send"));
    json_decref(m);
    close(sv[0]);
}

static void test_read_fd_reports_eagain_bytes_and_eof(void **state)
{
    hub_rpc_reader_t *r = hub_rpc_reader_create(0);
    size_t len;
    char *buf = encode_msg("nb", 9, &len);
    int sv[2];

    make_pair(sv);
    set_nonblocking(sv[1]);
    assert_int_equal(hub_rpc_read_fd(r, sv[1], NULL), -EAGAIN);
    assert_int_equal(write(sv[0], buf, len), (ssize_t)len);
    assert_int_equal(hub_rpc_read_fd(r, sv[1], NULL), (ssize_t)len);
    expect_msg(r, "nb", 9);
    close(sv[0]);
    assert_int_equal(hub_rpc_read_fd(r, sv[1], NULL), 0);
    free(buf);
    hub_rpc_reader_destroy(r);
    close(sv[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_message_round_trips),
        cmocka_unit_test(test_frame_fed_one_byte_at_a_time_gives_one_message),
        cmocka_unit_test(test_coalesced_frames_come_out_in_order),
        cmocka_unit_test(test_frame_split_at_every_point_parses),
        cmocka_unit_test(test_oversized_length_is_refused_before_the_body),
        cmocka_unit_test(test_reader_maximum_is_per_reader),
        cmocka_unit_test(test_zero_length_frame_is_a_protocol_error),
        cmocka_unit_test(test_garbage_json_is_a_bad_message),
        cmocka_unit_test(test_json_array_is_not_a_message),
        cmocka_unit_test(test_encode_refuses_a_non_object),
        cmocka_unit_test(test_draining_many_coalesced_frames_stays_linear),
        cmocka_unit_test(test_send_recv_carries_a_large_message),
        cmocka_unit_test(test_recv_times_out_and_keeps_the_partial_frame),
        cmocka_unit_test(test_recv_reports_peer_closed_mid_frame),
        cmocka_unit_test(test_recv_reports_clean_close_at_a_boundary),
        cmocka_unit_test(test_recv_returns_coalesced_messages_one_per_call),
        cmocka_unit_test(test_send_to_closed_peer_fails_without_sigpipe),
        cmocka_unit_test(test_read_fd_reports_eagain_bytes_and_eof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
