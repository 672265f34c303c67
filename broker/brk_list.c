/* broker/brk_list.c — intrusive doubly linked lists (deadline and
 * subscriber lists). Nodes are owned by the structs that embed them. */
#include "broker/brk_worker.h"

void brk_list_init(struct brk_link *head) { head->prev = head->next = head; }

bool brk_list_empty(const struct brk_link *head) { return head->next == head; }

void brk_list_push_tail(struct brk_link *head, struct brk_link *n)
{
    brk_list_del(n);
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

void brk_list_del(struct brk_link *n)
{
    if (n->next) {
        n->prev->next = n->next;
        n->next->prev = n->prev;
    }
    n->prev = n->next = NULL;
}
