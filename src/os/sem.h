/* SPDX-License-Identifier: MIT */
/* sem.h: internal interface of sem.c for process.c. */
#ifndef BH_OS_SEM_H
#define BH_OS_SEM_H

/* Cooperative take nesting back to zero (bh_os_init). */
void bh_os_sem_reset(void);

#endif /* BH_OS_SEM_H */
