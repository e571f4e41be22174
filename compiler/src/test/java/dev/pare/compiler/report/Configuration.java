package dev.pare.compiler.report;

/** One row of the report: a label and the pipeline (in the pipeline language) that produces it. */
record Configuration(String label, String pipeline) {}
