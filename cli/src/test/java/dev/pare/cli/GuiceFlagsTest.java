package dev.pare.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class GuiceFlagsTest {

    @Test
    void setsBothFlagsWhenUnset() {
        Properties p = new Properties();
        GuiceFlags.applyTo(p);
        assertEquals("DISABLED", p.getProperty("guice_bytecode_gen_option"));
        assertEquals("OFF", p.getProperty("guice_include_stack_traces"));
        assertEquals(2, p.size());
    }

    @Test
    void keepsWhatTheUserSet() {
        Properties p = new Properties();
        p.setProperty("guice_include_stack_traces", "COMPLETE");
        GuiceFlags.applyTo(p);
        assertEquals("COMPLETE", p.getProperty("guice_include_stack_traces"));
        assertEquals("DISABLED", p.getProperty("guice_bytecode_gen_option"));
    }

    @Test
    void aCompilerSessionAppliesThemBeforeItsInjector() throws Exception {
        Class.forName(CompilerSession.class.getName(), true, CompilerSession.class.getClassLoader());
        assertEquals("DISABLED", System.getProperty("guice_bytecode_gen_option"));
        assertEquals("OFF", System.getProperty("guice_include_stack_traces"));
    }
}
