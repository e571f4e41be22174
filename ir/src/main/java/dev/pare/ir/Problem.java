package dev.pare.ir;

/** A structural problem the verifier found: a stable code, where, and what is wrong. */
public record Problem(String code, Location location, String message) {
    @Override public String toString() { return location + ": " + code + ": " + message; }
}
