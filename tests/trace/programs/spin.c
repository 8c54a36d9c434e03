/* Burns a little CPU, then exits 0: a dynamic child to trace. */
int main(void) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < 30000000UL; i++) x += i;
    return 0;
}
