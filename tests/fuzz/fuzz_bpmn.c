/*
 * Fuzz target: the BPMN 2.0 import (adapters/bpmn.h, bs_bpmn_import) on any bytes. A file that
 * imports is a valid schema in canonical form: it loads, its canonical form is itself, and
 * it survives export -> import unchanged; a refusal names what it refuses (a message, and
 * a field for an element outside the subset). The input is also tried as a schema document
 * (JSON) for the export, whose output must import back to the same canonical schema.
 */
#include <stdlib.h>
#include <string.h>

#include "bpmn.h"
#include "fuzz.h"

/* An imported or canonical schema: export -> import gives it back byte for byte. */
static void check_round_trip(const char *canon) {
    bs_err err = {0};
    char *again = NULL, *xml = NULL, *back = NULL;
    bs_fuzz_check(bs_bpmn_canonical_json(canon, strlen(canon), &again, &err) == 0);
    bs_fuzz_check(strcmp(again, canon) == 0);
    bs_fuzz_check(bs_bpmn_export(canon, strlen(canon), &xml, &err) == 0 || err.code == BS_EINVAL);
    if (xml) {
        bs_fuzz_check(bs_bpmn_import(xml, strlen(xml), &back, &err) == 0);
        bs_fuzz_check(strcmp(back, canon) == 0);
    }
    free(again);
    free(xml);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bs_err err = {0};
    char *json = NULL;
    int rc = bs_bpmn_import((const char *)data, size, &json, &err);
    if (rc == 0) {
        bs_fuzz_check(json != NULL);
        check_round_trip(json);
    } else {
        bs_fuzz_check(json == NULL && err.code == rc && err.msg[0]);
        bs_fuzz_check(rc == BS_EMALFORMED || rc == BS_EINVAL);
    }
    free(json);
    char *canon = NULL;
    bs_err err2 = {0};
    if (bs_bpmn_canonical_json((const char *)data, size, &canon, &err2) == 0) check_round_trip(canon);
    free(canon);
    return 0;
}
