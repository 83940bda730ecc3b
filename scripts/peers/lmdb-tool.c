/*
 * lmdb-tool: the LMDB side of scripts/compare-peers, for the steps that LMDB's own
 * command-line tools (mdb_load, mdb_dump, mdb_copy, mdb_stat) do not cover.
 *
 *   lmdb-tool get DB KEY           write KEY's value to stdout, exactly, nothing added
 *   lmdb-tool get-many DB KEYFILE  one read transaction; each key's value and a newline
 *   lmdb-tool del-many DB KEYFILE  one write transaction, committed durably
 *   lmdb-tool keys DB              every key, one a line, in key order
 *   lmdb-tool count DB             the number of entries
 *
 * DB is an LMDB environment directory (data.mdb + lock.mdb). KEYFILE holds one key a
 * line. Like mmstore, get and get-many exit 1 when a key is missing; del-many then
 * aborts its transaction, so nothing is removed. Other errors exit 2 (usage) or 4.
 *
 * Build: gcc -O2 -o lmdb-tool lmdb-tool.c -llmdb   (Debian: liblmdb-dev)
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *program = "lmdb-tool";

static void die(int code, const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", program, what, rc ? mdb_strerror(rc) : "failed");
    exit(code);
}

static void check(int rc, const char *what)
{
    if (rc != MDB_SUCCESS)
        die(4, what, rc);
}

/* Opens DB read-only or for writing, with one unnamed database, in one transaction. */
static void open_db(const char *path, int write, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi)
{
    check(mdb_env_create(env), "mdb_env_create");
    /* The map size recorded in the environment (mdb_load's header sets it) is adopted
     * at open when it is larger than this default, so writers need not guess it. */
    check(mdb_env_open(*env, path, write ? 0 : MDB_RDONLY, 0644), path);
    check(mdb_txn_begin(*env, NULL, write ? 0 : MDB_RDONLY, txn), "mdb_txn_begin");
    check(mdb_dbi_open(*txn, NULL, 0, dbi), "mdb_dbi_open");
}

static FILE *open_keys(const char *path)
{
    FILE *keys = fopen(path, "rb");
    if (keys == NULL) {
        fprintf(stderr, "%s: %s: %s\n", program, path, strerror(errno));
        exit(4);
    }
    return keys;
}

/* Reads the next key of KEYS into *line without its line end; returns its length or -1. */
static ssize_t next_key(FILE *keys, char **line, size_t *capacity)
{
    ssize_t length = getline(line, capacity, keys);
    if (length < 0)
        return -1;
    while (length > 0 && ((*line)[length - 1] == '\n' || (*line)[length - 1] == '\r'))
        length--;
    return length;
}

static void write_all(const void *bytes, size_t length)
{
    if (length && fwrite(bytes, 1, length, stdout) != length)
        die(4, "write to stdout", 0);
}

static int cmd_get(const char *db, const char *key_text)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    open_db(db, 0, &env, &txn, &dbi);
    MDB_val key = {strlen(key_text), (void *)key_text}, value;
    int rc = mdb_get(txn, dbi, &key, &value);
    if (rc == MDB_NOTFOUND) {
        fprintf(stderr, "%s: key not found: %s\n", program, key_text);
        return 1;
    }
    check(rc, "mdb_get");
    write_all(value.mv_data, value.mv_size);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static int cmd_get_many(const char *db, const char *key_path)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    open_db(db, 0, &env, &txn, &dbi);
    FILE *keys = open_keys(key_path);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    long missing = 0;
    while ((length = next_key(keys, &line, &capacity)) >= 0) {
        if (length == 0)
            continue;
        MDB_val key = {(size_t)length, line}, value;
        int rc = mdb_get(txn, dbi, &key, &value);
        if (rc == MDB_NOTFOUND) {
            missing++;
            continue;
        }
        check(rc, "mdb_get");
        write_all(value.mv_data, value.mv_size);
        write_all("\n", 1);
    }
    free(line);
    fclose(keys);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    if (missing) {
        fprintf(stderr, "%s: %ld keys not found\n", program, missing);
        return 1;
    }
    return 0;
}

static int cmd_del_many(const char *db, const char *key_path)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    open_db(db, 1, &env, &txn, &dbi);
    FILE *keys = open_keys(key_path);
    char *line = NULL;
    size_t capacity = 0;
    ssize_t length;
    long missing = 0, deleted = 0;
    while ((length = next_key(keys, &line, &capacity)) >= 0) {
        if (length == 0)
            continue;
        MDB_val key = {(size_t)length, line};
        int rc = mdb_del(txn, dbi, &key, NULL);
        if (rc == MDB_NOTFOUND) {
            missing++;
            continue;
        }
        check(rc, "mdb_del");
        deleted++;
    }
    free(line);
    fclose(keys);
    if (missing) {
        mdb_txn_abort(txn);
        mdb_env_close(env);
        fprintf(stderr, "%s: %ld keys not found; nothing removed\n", program, missing);
        return 1;
    }
    /* Without MDB_NOSYNC the commit flushes the data and meta pages: durable. */
    check(mdb_txn_commit(txn), "mdb_txn_commit");
    mdb_env_close(env);
    return 0;
}

static int cmd_keys(const char *db)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *cursor;
    open_db(db, 0, &env, &txn, &dbi);
    check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open");
    MDB_val key, value;
    int rc;
    while ((rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)) == MDB_SUCCESS) {
        write_all(key.mv_data, key.mv_size);
        write_all("\n", 1);
    }
    if (rc != MDB_NOTFOUND)
        check(rc, "mdb_cursor_get");
    mdb_cursor_close(cursor);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static int cmd_count(const char *db)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_stat stat;
    open_db(db, 0, &env, &txn, &dbi);
    check(mdb_stat(txn, dbi, &stat), "mdb_stat");
    printf("%zu\n", stat.ms_entries);
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: %s get DB KEY | get-many DB KEYFILE | del-many DB KEYFILE | keys DB | count DB\n",
            program);
    exit(2);
}

int main(int argc, char **argv)
{
    static char out_buffer[1 << 16];
    setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
    if (argc < 3)
        usage();
    const char *command = argv[1], *db = argv[2];
    int rc;
    if (strcmp(command, "get") == 0 && argc == 4)
        rc = cmd_get(db, argv[3]);
    else if (strcmp(command, "get-many") == 0 && argc == 4)
        rc = cmd_get_many(db, argv[3]);
    else if (strcmp(command, "del-many") == 0 && argc == 4)
        rc = cmd_del_many(db, argv[3]);
    else if (strcmp(command, "keys") == 0 && argc == 3)
        rc = cmd_keys(db);
    else if (strcmp(command, "count") == 0 && argc == 3)
        rc = cmd_count(db);
    else
        usage();
    if (fflush(stdout) != 0)
        die(4, "write to stdout", 0);
    return rc;
}
