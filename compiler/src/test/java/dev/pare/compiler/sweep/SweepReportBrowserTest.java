package dev.pare.compiler.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * index.html in a real browser: Debian's headless chromium, driven through chromedriver (both
 * installed by scripts/install-browser.sh, which .ci/run calls first). The page must draw one
 * circle per point with the Pareto points marked, and its table must sort by a clicked header,
 * both ways. Without the browser the test fails, unless PARE_NO_BROWSER gives the reason the
 * install script could not install it (then it is skipped with that reason; SweepFilesTest still
 * checks the page's structure).
 */
class SweepReportBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir static Path dir;
    static ChromeDriver driver;

    @BeforeAll
    static void openPage() throws Exception {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = System.getenv("PARE_NO_BROWSER");
            Assumptions.assumeTrue(why == null || why.isBlank(), "no headless browser: " + why);
            fail(CHROMIUM + " or " + CHROMEDRIVER + " missing: run scripts/install-browser.sh "
                    + "(or set PARE_NO_BROWSER to the reason it cannot run, to skip this test)");
        }
        SweepFiles.write(dir, SweepFilesTest.sample());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(15));
        driver.get(dir.resolve("index.html").toUri().toString());
    }

    @AfterAll
    static void close() {
        if (driver != null) driver.quit();
    }

    @Test
    void scatterDrawsOnePointPerResultWithTheFrontMarked() {
        List<WebElement> points = driver.findElements(By.cssSelector("#scatter circle.point"));
        assertEquals(List.of("aaaa", "bbbb", "cccc"), points.stream().map(p -> p.getAttribute("data-id")).toList());
        for (WebElement p : points) assertTrue(p.isDisplayed() && p.getRect().getWidth() > 0, p.getAttribute("data-id"));
        assertEquals(List.of("aaaa", "cccc"), driver.findElements(By.cssSelector("#scatter circle.point.pareto")).stream()
                .map(p -> p.getAttribute("data-id")).toList());
        // the front is drawn in its own colour (the stylesheet applies)
        String front = driver.findElement(By.cssSelector("#scatter circle.pareto")).getCssValue("fill");
        String other = driver.findElement(By.cssSelector("#scatter circle.point:not(.pareto)")).getCssValue("fill");
        assertTrue(!front.equals(other), front + " vs " + other);
        assertEquals(List.of("aaaa", "cccc"), driver.findElements(By.cssSelector("#results tbody tr.pareto")).stream()
                .map(r -> r.getAttribute("data-id")).toList());
    }

    @Test
    void clickingAHeaderSortsTheTableAndClickingAgainReverses() {
        WebElement size = driver.findElement(By.cssSelector("#results th[data-sort=bytes]"));
        size.click();
        assertEquals("ascending", size.getAttribute("aria-sort"));
        assertEquals(List.of("cccc", "aaaa", "bbbb", "dddd"), rowOrder()); // the failed point has no size: last
        size.click();
        assertEquals("descending", size.getAttribute("aria-sort"));
        assertEquals(List.of("bbbb", "aaaa", "cccc", "dddd"), rowOrder());
        WebElement name = driver.findElement(By.cssSelector("#results th[data-sort=name]"));
        name.click();
        assertEquals(List.of("dddd", "cccc", "aaaa", "bbbb"), rowOrder());
        assertEquals(null, size.getAttribute("aria-sort"));
        WebElement order = driver.findElement(By.cssSelector("#results th[data-sort=order]"));
        order.click();
        assertEquals(List.of("aaaa", "bbbb", "cccc", "dddd"), rowOrder());
    }

    @Test
    void theFormatColumnSortsAndPackagesHaveTheirOwnColour() {
        WebElement format = driver.findElement(By.cssSelector("#results th[data-sort=format]"));
        format.click();
        assertEquals("ascending", format.getAttribute("aria-sort"));
        assertEquals("bbbb", rowOrder().get(0), "mlpackage sorts before onnx");
        format.click();
        assertEquals("bbbb", rowOrder().get(3));
        WebElement pkg = driver.findElement(By.cssSelector("#scatter circle.fmt-mlpackage"));
        assertEquals("bbbb", pkg.getAttribute("data-id"));
        assertEquals("rgb(156, 207, 138)", pkg.getCssValue("fill"));
    }

    private static List<String> rowOrder() {
        return driver.findElements(By.cssSelector("#results tbody tr")).stream().map(r -> r.getAttribute("data-id")).toList();
    }
}
