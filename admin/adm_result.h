/* admin/adm_result.h — `--json` for the commands that otherwise print prose
 * (issue, revoke, approve, renew, ...). ringward-admin's dispatcher turns
 * it on when such a command is given --json: stdout then carries exactly
 * one JSON object, {"ok":BOOL,"exit":N, ...the fields the command
 * recorded}, and the prose goes to stderr. Commands with a JSON form of
 * their own (lists, show, status, export, ...) handle --json themselves.
 * Single-threaded, process-wide. */
#ifndef RW_ADM_RESULT_H
#define RW_ADM_RESULT_H

#include <stdbool.h>

void adm_result_begin(void);
bool adm_result_on(void);
/* Fields of the object; ignored unless it is on. */
void adm_result_str(const char *key, const char *value);
void adm_result_int(const char *key, long long value);
void adm_result_bool(const char *key, bool value);
/* While muted, fields are dropped (e.g. init's four demo bundles). */
void adm_result_mute(bool mute);
/* Prints the object (when on) and returns `code`. */
int adm_result_end(int code);

#endif
