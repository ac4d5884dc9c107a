/*
 * asn1c timing harness for one baton ASN.1 module.
 *
 * Built once per module by bench/asn1c/run.sh against that module's asn1c
 * 0.9.28 output (the four modules each define CorrelationId, so they cannot
 * share one binary):
 *
 *   gcc -O2 -DPDU_DEF=asn_DEF_ElectionMessage -DIFACE='"election"' \
 *       -I work/election harness.c work/election/<generated>.c -o ...
 *
 * stdin:  name<TAB>interface<TAB>rule<TAB>hex      (rule: ber | der | uper)
 * stdout: name<TAB>rule<TAB>op<TAB>ns_median       (op: decode | encode)
 * stderr: progress, warnings, errors.
 *
 * Lines whose interface is not IFACE are skipped with a note on stderr.
 * Exit status: 0 if every case for IFACE was measured, 1 if any failed.
 *
 * Environment:
 *   ASN1C_BENCH_BATCHES    number of timed batches (default 31)
 *   ASN1C_BENCH_TARGET_MS  wanted duration of one batch in ms (default 10)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ctype.h>

#include <asn_application.h>
#include <ber_decoder.h>
#include <der_encoder.h>
#include <per_decoder.h>
#include <per_encoder.h>
#include <constraints.h>

#ifndef PDU_DEF
#error "define PDU_DEF, e.g. -DPDU_DEF=asn_DEF_ElectionMessage"
#endif
#ifndef IFACE
#error "define IFACE, e.g. -DIFACE='\"election\"'"
#endif

extern asn_TYPE_descriptor_t PDU_DEF;
static asn_TYPE_descriptor_t *const td = &PDU_DEF;

enum rule { R_BER, R_DER, R_UPER };
static const char *const rule_names[] = { "ber", "der", "uper" };

#define OUT_CAP 65536
static unsigned char out_buf[OUT_CAP]; /* preallocated encode buffer */
static volatile size_t sink;           /* keeps results observable */

/* ---- asn1c 0.9.28 constraint-checker workaround ------------------------
 * A type defined as a constrained primitive (CorrelationId ::= NumericString
 * (SIZE(0..16))) gets a descriptor whose check_constraints is the generated
 * CorrelationId_constraint. But the first codec call on it (decode, encode,
 * free) runs CorrelationId_1_inherit_TYPE_descriptor(), which overwrites
 * td->check_constraints with NumericString's (alphabet only, no SIZE), and
 * SEQUENCE/CHOICE_constraint cache member checkers in memb_constraints.
 * So after the first decode asn_check_constraints() would no longer see SIZE.
 * We snapshot every reachable descriptor's checker at start-up, before any
 * codec call, and put the snapshot back before checking. */
#define MAX_SNAP 512
static struct { asn_TYPE_descriptor_t *td; asn_constr_check_f *fn; } snap_td[MAX_SNAP];
static struct { asn_TYPE_member_t *m; asn_constr_check_f *fn; } snap_m[MAX_SNAP];
static int n_snap_td, n_snap_m;

static void snapshot(asn_TYPE_descriptor_t *t) {
    for (int i = 0; i < n_snap_td; i++)
        if (snap_td[i].td == t) return;
    if (n_snap_td == MAX_SNAP) return;
    snap_td[n_snap_td].td = t;
    snap_td[n_snap_td++].fn = t->check_constraints;
    for (int i = 0; i < t->elements_count; i++) {
        asn_TYPE_member_t *m = &t->elements[i];
        if (n_snap_m < MAX_SNAP) {
            snap_m[n_snap_m].m = m;
            snap_m[n_snap_m++].fn = m->memb_constraints;
        }
        if (m->type) snapshot(m->type);
    }
}

static void restore_checkers(void) {
    for (int i = 0; i < n_snap_td; i++) snap_td[i].td->check_constraints = snap_td[i].fn;
    for (int i = 0; i < n_snap_m; i++) snap_m[i].m->memb_constraints = snap_m[i].fn;
}

/* ---- one decode / one encode, as timed -------------------------------- */

/* Decode `in` and free the result. Returns 0 on success. */
static int decode_free(enum rule r, const unsigned char *in, size_t len) {
    void *p = NULL;
    asn_dec_rval_t rv;
    if (r == R_UPER)
        rv = uper_decode_complete(0, td, &p, in, len);
    else
        rv = ber_decode(0, td, &p, in, len);
    int bad = (rv.code != RC_OK || rv.consumed != len);
    sink += rv.consumed;
    ASN_STRUCT_FREE(*td, p);
    return bad;
}

/* Encode `p` into out_buf. Returns the byte count, or -1. */
static ssize_t encode(enum rule r, void *p) {
    asn_enc_rval_t er;
    if (r == R_UPER) {
        er = uper_encode_to_buffer(td, p, out_buf, OUT_CAP);
        if (er.encoded < 0) return -1;
        /* .encoded is in bits; a complete encoding has at least one octet
         * (X.691 10.1.3): uper_encode_to_buffer leaves that to the caller. */
        ssize_t bytes = (er.encoded + 7) / 8;
        if (bytes == 0) { out_buf[0] = 0; bytes = 1; }
        return bytes;
    }
    /* asn1c has no separate BER encoder: BER output is its DER output. */
    er = der_encode_to_buffer(td, p, out_buf, OUT_CAP);
    return er.encoded < 0 ? -1 : (ssize_t)er.encoded;
}

/* ---- timing ----------------------------------------------------------- */

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

struct job {
    int is_decode;
    enum rule r;
    const unsigned char *in;
    size_t len;
    void *decoded;
    int failed;
};

/* Run n operations; return elapsed ns. */
static double run_batch(struct job *j, long n) {
    double t0 = now_ns();
    if (j->is_decode) {
        for (long i = 0; i < n; i++)
            j->failed |= decode_free(j->r, j->in, j->len);
    } else {
        for (long i = 0; i < n; i++) {
            ssize_t k = encode(j->r, j->decoded);
            if (k < 0) j->failed = 1;
            sink += (size_t)k;
        }
    }
    return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int n_batches = 31;
static double target_ns = 10e6;

/* Median ns/op over n_batches batches, each sized to about target_ns. */
static double measure(struct job *j, long *n_out) {
    long n = 1;
    for (;;) { /* calibrate */
        double t = run_batch(j, n);
        if (j->failed) return -1;
        if (t >= target_ns * 0.5 || n >= (1L << 30)) {
            if (t > 0) {
                double want = (double)n * target_ns / t;
                n = want < 1 ? 1 : (long)want;
            }
            break;
        }
        n *= (t < target_ns / 64) ? 8 : 2;
    }
    run_batch(j, n); /* warm-up at final size */
    double *per = malloc(sizeof(double) * (size_t)n_batches);
    for (int b = 0; b < n_batches; b++)
        per[b] = run_batch(j, n) / (double)n;
    qsort(per, (size_t)n_batches, sizeof(double), cmp_double);
    double med = (n_batches % 2) ? per[n_batches / 2]
                                 : (per[n_batches / 2 - 1] + per[n_batches / 2]) / 2;
    free(per);
    *n_out = n;
    return j->failed ? -1 : med;
}

/* ---- input ------------------------------------------------------------ */

static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Parse hex (whitespace ignored) into a malloc'd buffer. */
static unsigned char *parse_hex(const char *s, size_t *len) {
    size_t cap = strlen(s) / 2 + 1, n = 0;
    unsigned char *b = malloc(cap);
    int hi = -1;
    for (; *s; s++) {
        if (isspace((unsigned char)*s)) continue;
        int v = hexval((unsigned char)*s);
        if (v < 0) { free(b); return NULL; }
        if (hi < 0) hi = v;
        else { b[n++] = (unsigned char)(hi << 4 | v); hi = -1; }
    }
    if (hi >= 0) { free(b); return NULL; }
    *len = n;
    return b;
}

static void print_hex(FILE *f, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}

/* ---- one case --------------------------------------------------------- */

static int run_case(const char *name, enum rule r, const unsigned char *in, size_t len) {
    const char *rn = rule_names[r];
    void *p = NULL;
    asn_dec_rval_t rv = (r == R_UPER) ? uper_decode_complete(0, td, &p, in, len)
                                      : ber_decode(0, td, &p, in, len);
    if (rv.code != RC_OK) {
        fprintf(stderr, "ERROR: %s %s: decode failed (code %d, consumed %zu of %zu)\n",
                name, rn, (int)rv.code, rv.consumed, len);
        ASN_STRUCT_FREE(*td, p);
        return 1;
    }
    if (rv.consumed != len) {
        fprintf(stderr, "ERROR: %s %s: decode consumed %zu of %zu bytes\n",
                name, rn, rv.consumed, len);
        ASN_STRUCT_FREE(*td, p);
        return 1;
    }
    char errbuf[256];
    size_t errlen = sizeof errbuf;
    restore_checkers();
    if (asn_check_constraints(td, p, errbuf, &errlen) != 0)
        fprintf(stderr, "WARNING: %s %s: asn_check_constraints: %s\n", name, rn, errbuf);

    ssize_t k = encode(r, p);
    if (k < 0) {
        fprintf(stderr, "ERROR: %s %s: re-encoding failed\n", name, rn);
        ASN_STRUCT_FREE(*td, p);
        return 1;
    }
    if ((size_t)k != len || memcmp(out_buf, in, len) != 0) {
        fprintf(stderr, "WARNING: %s %s: re-encoding differs from input\n  input:  ", name, rn);
        print_hex(stderr, in, len);
        fprintf(stderr, "\n  output: ");
        print_hex(stderr, out_buf, (size_t)k);
        fprintf(stderr, "\n");
    }

    int bad = 0;
    long n;
    struct job dj = { 1, r, in, len, NULL, 0 };
    double dns = measure(&dj, &n);
    if (dns < 0) {
        fprintf(stderr, "ERROR: %s %s: decode failed while timing\n", name, rn);
        bad = 1;
    } else {
        fprintf(stderr, "  %s %s decode: %.1f ns/op (%d batches x %ld)\n", name, rn, dns, n_batches, n);
        printf("%s\t%s\tdecode\t%.1f\n", name, rn, dns);
        fflush(stdout);
    }
    struct job ej = { 0, r, NULL, 0, p, 0 };
    double ens = measure(&ej, &n);
    if (ens < 0) {
        fprintf(stderr, "ERROR: %s %s: encode failed while timing\n", name, rn);
        bad = 1;
    } else {
        fprintf(stderr, "  %s %s encode: %.1f ns/op (%d batches x %ld)\n", name, rn, ens, n_batches, n);
        printf("%s\t%s\tencode\t%.1f\n", name, rn, ens);
        fflush(stdout);
    }
    ASN_STRUCT_FREE(*td, p);
    return bad;
}

int main(void) {
    snapshot(td); /* before any codec call: see restore_checkers() */
    const char *e;
    if ((e = getenv("ASN1C_BENCH_BATCHES")) && atoi(e) > 0) n_batches = atoi(e);
    if ((e = getenv("ASN1C_BENCH_TARGET_MS")) && atof(e) > 0) target_ns = atof(e) * 1e6;

    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int failures = 0, lineno = 0;
    while ((got = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r')) line[--got] = 0;
        if (got == 0 || line[0] == '#') continue;
        char *f[4];
        char *s = line;
        int nf = 0;
        for (; nf < 4; nf++) {
            f[nf] = s;
            char *t = (nf < 3) ? strchr(s, '\t') : NULL;
            if (nf < 3 && !t) break;
            if (t) { *t = 0; s = t + 1; }
        }
        if (nf < 4) {
            fprintf(stderr, "ERROR: line %d: want name<TAB>interface<TAB>rule<TAB>hex\n", lineno);
            failures++;
            continue;
        }
        if (strcmp(f[1], IFACE) != 0) {
            fprintf(stderr, "note: %s: interface %s is not %s, skipped\n", f[0], f[1], IFACE);
            continue;
        }
        int r = -1;
        for (int i = 0; i < 3; i++)
            if (strcmp(f[2], rule_names[i]) == 0) r = i;
        if (r < 0) {
            fprintf(stderr, "ERROR: %s: rule %s not supported by asn1c 0.9.28 (ber, der, uper)\n",
                    f[0], f[2]);
            failures++;
            continue;
        }
        size_t len;
        unsigned char *in = parse_hex(f[3], &len);
        if (!in) {
            fprintf(stderr, "ERROR: %s %s: bad hex\n", f[0], f[2]);
            failures++;
            continue;
        }
        failures += run_case(f[0], (enum rule)r, in, len);
        free(in);
    }
    free(line);
    return failures ? 1 : 0;
}
