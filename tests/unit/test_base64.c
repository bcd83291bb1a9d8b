/* test_base64.c - base64: RFC 4648 vectors, binary round trips, strict
 * refusal of malformed text. */
#include "cmocka_all.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

static void expect_encoding(const char *plain, const char *encoded)
{
    char *text = hub_base64_encode(plain, strlen(plain));
    unsigned char *back = NULL;
    size_t len = 0;

    assert_string_equal(text, encoded);
    assert_int_equal(strlen(text), hub_base64_encoded_len(strlen(plain)));
    assert_int_equal(hub_base64_decode(text, &back, &len, NULL), 0);
    assert_int_equal(len, strlen(plain));
    assert_string_equal((char *)back, plain);
    free(back);
    free(text);
}

static void test_rfc4648_vectors_encode_and_decode(void **state)
{
    expect_encoding("", "");
    expect_encoding("f", "Zg==");
    expect_encoding("fo", "Zm8=");
    expect_encoding("foo", "Zm9v");
    expect_encoding("foob", "Zm9vYg==");
    expect_encoding("fooba", "Zm9vYmE=");
    expect_encoding("foobar", "Zm9vYmFy");
}

static void test_every_byte_value_round_trips(void **state)
{
    unsigned char in[256 + 2];
    unsigned char *out = NULL;
    size_t len = 0;

    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 7 + 3);
    for (size_t n = 0; n <= sizeof(in); n++) {
        char *text = hub_base64_encode(in, n);
        assert_int_equal(hub_base64_decode(text, &out, &len, NULL), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, in, n);
        free(out);
        free(text);
    }
}

static void expect_refused(const char *text)
{
    unsigned char *out = (unsigned char *)1;
    size_t len = 1;
    hub_error_t err;

    assert_int_equal(hub_base64_decode(text, &out, &len, &err), -EINVAL);
    assert_null(out);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.text, "base64"));
}

static void test_malformed_text_is_refused(void **state)
{
    expect_refused("Zm9");       /* not a multiple of 4 */
    expect_refused("Zm9v!A==");  /* bad character */
    expect_refused("Zg==Zm9v");  /* padding before the end */
    expect_refused("Zm=v");      /* '=' inside the last group */
    expect_refused("====");      /* padding only */
    expect_refused("Zm9v\nZm9"); /* line break */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors_encode_and_decode),
        cmocka_unit_test(test_every_byte_value_round_trips),
        cmocka_unit_test(test_malformed_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
