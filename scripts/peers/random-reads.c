/*
 * random-reads: the floor of "get 10,000 random keys in one process" on this machine, for
 * scripts/compare-peers. It reads COUNT records of SIZE bytes at random offsets of FILE
 * (warm in the page cache), the least any tool must do to return COUNT random records,
 * with no index at all:
 *
 *   random-reads pread FILE COUNT SIZE   one pread per record: the resident set stays small
 *   random-reads map FILE COUNT SIZE     through a shared read-only map: each fault maps a
 *                                        stretch of page cache into the resident set
 *
 * It prints the number of bytes read. The offsets come from a fixed xorshift sequence, so
 * every run reads the same places.
 *
 * Build: gcc -O2 -o random-reads random-reads.c
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "pread") != 0 && strcmp(argv[1], "map") != 0)) {
        fprintf(stderr, "usage: random-reads pread|map FILE COUNT SIZE\n");
        return 2;
    }
    int fd = open(argv[2], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[2]);
        return 4;
    }
    long count = atol(argv[3]);
    size_t size = (size_t)atol(argv[4]);
    if (count <= 0 || size == 0 || size > 65536 || (off_t)size >= st.st_size) {
        fprintf(stderr, "random-reads: bad COUNT or SIZE\n");
        return 2;
    }
    unsigned char buf[65536];
    unsigned long long x = 88172645463325252ULL, total = 0;
    off_t span = st.st_size - (off_t)size;
    const unsigned char *map = NULL;
    if (argv[1][0] == 'm') {
        map = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED) {
            perror("mmap");
            return 4;
        }
    }
    for (long i = 0; i < count; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        off_t at = (off_t)(x % (unsigned long long)span);
        if (map != NULL) {
            memcpy(buf, map + at, size);
        } else if (pread(fd, buf, size, at) != (ssize_t)size) {
            perror("pread");
            return 4;
        }
        total += buf[0] + size - buf[0];
    }
    printf("%llu\n", total);
    return 0;
}
