/*
 * Writes a workbook with libxlsxwriter (a writer independent of openpyxl) for
 * tests/integration/test_xlsx_import.py, which reads it with openpyxl and with
 * `bouwstroom xlsx-dump` and compares every cell.
 *
 * Usage: xlsxwriter_fixture OUT.xlsx [--constant-memory]
 * --constant-memory makes libxlsxwriter write strings inline (<is>) instead of shared.
 */
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: xlsxwriter_fixture OUT.xlsx [--constant-memory]\n");
        return 2;
    }
    lxw_workbook_options opt = {.constant_memory = argc > 2 && strcmp(argv[2], "--constant-memory") == 0};
    lxw_workbook *wb = workbook_new_opt(argv[1], &opt);
    if (!wb) return 1;
    lxw_worksheet *ws = workbook_add_worksheet(wb, "Plannen Fryslân");
    lxw_worksheet *ws2 = workbook_add_worksheet(wb, "Blad2");
    lxw_format *date = workbook_add_format(wb);
    format_set_num_format(date, "d-m-yyyy");
    lxw_format *dt = workbook_add_format(wb);
    format_set_num_format(dt, "dd/mm/yyyy hh:mm:ss");
    lxw_format *builtin14 = workbook_add_format(wb);
    format_set_num_format_index(builtin14, 14);
    lxw_format *money = workbook_add_format(wb);
    format_set_num_format(money, "[$€-413] #,##0.00;[Red]-#,##0.00");
    lxw_format *bold = workbook_add_format(wb);
    format_set_bold(bold);

    /* constant_memory needs rows in order */
    worksheet_write_string(ws, 0, 0, "Kenmerk", bold);
    worksheet_write_string(ws, 0, 1, "Projectnaam", bold);
    worksheet_write_string(ws, 0, 3, "Peildatum", bold);
    worksheet_write_string(ws, 0, 27, "ver weg", NULL);
    for (int r = 1; r <= 400; r++) {
        char name[64];
        snprintf(name, sizeof name, "Plan %d — Ĳsselmonde één 🏠", r);
        worksheet_write_number(ws, (lxw_row_t)r, 0, r * 1.5 - 7, NULL);
        worksheet_write_string(ws, (lxw_row_t)r, 1, name, NULL);
        if (r % 3 == 0) worksheet_write_boolean(ws, (lxw_row_t)r, 2, r % 2, NULL);
        lxw_datetime d = {2000 + r % 30, 1 + r % 12, 1 + r % 28, r % 24, (r * 7) % 60, (double)(r % 60)};
        worksheet_write_datetime(ws, (lxw_row_t)r, 3, &d, r % 2 ? dt : date);
        worksheet_write_number(ws, (lxw_row_t)r, 4, 40000 + r, builtin14);
        worksheet_write_number(ws, (lxw_row_t)r, 5, r * 1234.56, money);
        if (r % 5 == 0) worksheet_write_blank(ws, (lxw_row_t)r, 6, bold);
        worksheet_write_formula_num(ws, (lxw_row_t)r, 7, "=A2*2", NULL, r * 3.0);
        if (r % 50 == 0) worksheet_write_string(ws, (lxw_row_t)r, 27, "sparse \"quoted\" <tag> & ampersand", NULL);
    }
    worksheet_write_string(ws2, 0, 0, "tweede blad", NULL);
    worksheet_write_number(ws2, 2, 2, 1e-9, NULL);
    worksheet_write_number(ws2, 3, 2, -123456789012.25, NULL);
    return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}
