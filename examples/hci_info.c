/* SPDX-License-Identifier: MIT */
/*
 * hci_info: bring a controller up with blehost's HCI layer, print what it
 * reported, and take it down again. The smallest complete program on the
 * POSIX port, and the init check the demo and CI run against blesim.
 *
 *   hci_info [--btsnoop FILE] [--repeat N] [TRANSPORT]
 *
 * TRANSPORT is unix:/path, tcp:host:port or tty:/dev/X[@baud]; default: the
 * environment variable BLEHOST_HCI.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bh_posix.h"
#include "blehost/bh_hci.h"
#include "blehost/bh_os.h"

static void print_info(const struct bh_hci_info *i)
{
    const uint8_t *a = i->id_addr;

    printf("controller: HCI version 0x%02x revision 0x%04x, manufacturer 0x%04x\n",
           i->hci_version, i->hci_revision, i->manufacturer);
    printf("identity address: %02X:%02X:%02X:%02X:%02X:%02X (%s)\n", a[5], a[4], a[3], a[2],
           a[1], a[0], i->id_addr_type == 0 ? "public" : "random static");
    printf("LE ACL buffers: %u x %u bytes\n", i->acl_num, i->acl_len);
    printf("LE features: %02x %02x %02x %02x %02x %02x %02x %02x\n", i->le_features[0],
           i->le_features[1], i->le_features[2], i->le_features[3], i->le_features[4],
           i->le_features[5], i->le_features[6], i->le_features[7]);
}

int main(int argc, char **argv)
{
    const char *spec = getenv("BLEHOST_HCI");
    const char *snoop = NULL;
    int repeat = 1;
    int err;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--btsnoop") == 0 && i + 1 < argc) {
            snoop = argv[++i];
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else {
            spec = argv[i];
        }
    }
    if (spec == NULL) {
        fprintf(stderr, "hci_info: no transport (give one or set BLEHOST_HCI)\n");
        return 2;
    }
    bh_os_init(bh_posix_port());
    bh_hci_init();
    err = bh_posix_transport_open(spec);
    if (err < 0) {
        fprintf(stderr, "hci_info: cannot open %s: %s\n", spec, strerror(-err));
        return 1;
    }
    if (snoop != NULL && (err = bh_posix_snoop_open(snoop)) < 0) {
        fprintf(stderr, "hci_info: cannot write %s: %s\n", snoop, strerror(-err));
        return 1;
    }
    for (int n = 0; n < repeat; n++) {
        err = bh_hci_up();
        if (err < 0) {
            fprintf(stderr, "hci_info: init over %s failed: %s\n", bh_posix_transport_name(),
                    strerror(-err));
            break;
        }
        if (n == 0) {
            print_info(bh_hci_info());
        }
        bh_hci_down();
    }
    bh_posix_snoop_close();
    bh_posix_transport_close();
    return err < 0 ? 1 : 0;
}
