package dev.pare.compiler.passmanager;

import dev.pare.compiler.pipeline.PassStep;
import java.util.SortedMap;

/** The counters one step's pass runs added up, and how often it ran. */
public record StepStatistics(PassStep step, int runs, SortedMap<String, Long> counters) {}
