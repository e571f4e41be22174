package dev.pare.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class DiagnosticCatalogsTest {

    enum Mine implements DiagnosticCode {
        X001, X002, X010;
        @Override public String code() { return name(); }
        @Override public Severity severity() { return Severity.ERROR; }
        @Override public String summary() { return "mine " + name(); }
    }

    enum Theirs implements DiagnosticCode {
        X002, Y001;
        @Override public String code() { return name(); }
        @Override public Severity severity() { return Severity.WARNING; }
        @Override public String summary() { return "theirs " + name(); }
    }

    enum Malformed implements DiagnosticCode {
        BAD;
        @Override public String code() { return "x1"; }
        @Override public Severity severity() { return Severity.NOTE; }
        @Override public String summary() { return "lower case"; }
    }

    private static DiagnosticCatalog catalog(String owner, DiagnosticCode... codes) {
        return new DiagnosticCatalog() {
            @Override public String owner() { return owner; }
            @Override public List<? extends DiagnosticCode> codes() { return List.of(codes); }
        };
    }

    @Test void aCodeDeclaredByTwoCataloguesNamesBothOwners() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DiagnosticCatalogs.of(List.of(
                catalog("core", Mine.values()), catalog("acme-plugin", Theirs.values()))));
        assertEquals("diagnostic code X002 is declared by both core (" + Mine.class.getName() + ") and acme-plugin ("
                + Theirs.class.getName() + ")", e.getMessage());
    }

    @Test void aMalformedCodeIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DiagnosticCatalogs.of(List.of(catalog("odd", Malformed.values()))));
        assertTrue(e.getMessage().startsWith("diagnostic code 'x1' of odd ("), e.getMessage());
    }

    @Test void findsCodesCaseInsensitivelyAndSuggestsNearOnes() {
        DiagnosticCatalogs all = DiagnosticCatalogs.of(List.of(catalog("core", Mine.values()), catalog("p", Theirs.Y001)));
        assertEquals("core", all.find("x010").orElseThrow().owner());
        assertTrue(all.find("X003").isEmpty());
        assertEquals(List.of("X002", "X001", "X010"), all.nearest("X003"));
        assertEquals(List.of("Y001"), all.nearest("Y01"));
        assertEquals(List.of(), all.nearest("QQQ999"));
        assertEquals("error[X001]", Mine.X001.tag());
    }
}
