/* fixture_nosymbol.c - a loadable shared object without the `hub_plugin`
 * descriptor, like a stray library in PluginDir. */

int fixture_nosymbol_answer(void);

int fixture_nosymbol_answer(void)
{
    return 42;
}
