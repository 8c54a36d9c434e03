/* execvp of a name of PATH_MAX characters with an empty PATH entry: the probe repeats the PATH search to
 * record the program, and must not read its buffer when no candidate fits in it (valgrind checks). */
#include <limits.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    static char name[PATH_MAX + 8];
    memset(name, 'x', PATH_MAX);
    name[PATH_MAX] = 0;
    char *argv[] = {name, NULL};
    execvp(name, argv);
    return 0;
}
