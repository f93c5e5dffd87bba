using Strata.IO;
using System.Globalization;
using System.Xml.Linq;
using Strata.Reporting;

namespace Strata.Smoke;

/// <summary>The smoke results as a summary table and as JUnit XML (one file per image).</summary>
public static class SmokeReport
{
    public static string Summary(IEnumerable<SmokeResult> results) => SummaryTable.Render(
        ["IMAGE", "CHECKS", "PASSED", "FAILED", "RESULT", "VAULT RUNTIME"],
        results.Select(r => (IReadOnlyList<string>)
        [
            r.Image, r.Checks.Count.ToString(CultureInfo.InvariantCulture),
            r.PassedCount.ToString(CultureInfo.InvariantCulture), r.FailedCount.ToString(CultureInfo.InvariantCulture),
            r.Passed ? "ok" : "FAIL", r.VaultRuntime ?? "-",
        ]));

    public static XDocument ToJUnit(SmokeResult result)
    {
        static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        var properties = new XElement("properties", new XElement("property", new XAttribute("name", "image"), new XAttribute("value", result.ImageRef)));
        if (result.VaultRuntime is { } runtime)
            properties.Add(new XElement("property", new XAttribute("name", "vault.runtime"), new XAttribute("value", runtime)));
        var suite = new XElement("testsuite",
            new XAttribute("name", $"smoke.{result.Image}"),
            new XAttribute("tests", result.Checks.Count),
            new XAttribute("failures", result.FailedCount),
            new XAttribute("errors", 0),
            new XAttribute("skipped", 0),
            new XAttribute("time", Seconds(result.Duration)),
            properties);
        foreach (var check in result.Checks)
        {
            var testcase = new XElement("testcase",
                new XAttribute("classname", $"smoke.{result.Image}.{check.Kind.ToString().ToLowerInvariant()}"),
                new XAttribute("name", check.Name),
                new XAttribute("time", Seconds(check.Duration)));
            if (!check.Passed)
                testcase.Add(new XElement("failure", new XAttribute("message", check.Message), new XAttribute("type", check.Kind.ToString().ToLowerInvariant()),
                    $"{check.Message}\n(from {check.Origin})"));
            else if (check.Message.Length > 0)
                testcase.Add(new XElement("system-out", check.Message));
            suite.Add(testcase);
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), new XElement("testsuites", suite));
    }

    public static void WriteJUnit(string path, SmokeResult result)
    {
        var document = ToJUnit(result);
        AtomicFile.WriteAllText(path, document.Declaration + "\n" + document.Root + "\n");
    }
}
