/* A shared object that is not a notibus channel: no entry symbol. */
__attribute__((visibility("default"))) int something_else(void) { return 42; }
