/*
 * Test tool: parses iCalendar files with libical and reports what it found.
 * Usage: ical_parse FILE...   Prints "FILE events=N errors=M" per file; exits 1 when a file
 * does not parse into a VCALENDAR or libical reports an error (X-LIC-ERROR property).
 */
#include <libical/ical.h>
#include <stdio.h>
#include <stdlib.h>

static int count_errors(icalcomponent *c) {
    int n = icalcomponent_count_properties(c, ICAL_XLICERROR_PROPERTY);
    for (icalcomponent *s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
         s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT))
        n += count_errors(s);
    return n;
}

int main(int argc, char **argv) {
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            rc = 1;
            continue;
        }
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        char *buf = malloc((size_t)n + 1);
        size_t got = fread(buf, 1, (size_t)n, f);
        buf[got] = 0;
        fclose(f);
        icalcomponent *c = icalparser_parse_string(buf);
        free(buf);
        if (!c || icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT) {
            printf("%s: not a VCALENDAR\n", argv[i]);
            rc = 1;
        } else {
            int ev = icalcomponent_count_components(c, ICAL_VEVENT_COMPONENT);
            int errs = count_errors(c);
            printf("%s events=%d errors=%d\n", argv[i], ev, errs);
            if (errs) rc = 1;
        }
        if (c) icalcomponent_free(c);
    }
    icaltimezone_free_builtin_timezones();
    return rc;
}
