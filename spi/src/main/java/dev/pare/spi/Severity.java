package dev.pare.spi;

public enum Severity { NOTE, WARNING, ERROR }
