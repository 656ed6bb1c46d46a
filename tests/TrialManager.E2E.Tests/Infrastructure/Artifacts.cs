namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>
/// Where test artefacts go: the folder named by $TRIALMANAGER_ARTIFACTS when set (CI points it at its results folder),
/// else TestResults/ in the parent of the test assembly's output folder (bin/&lt;configuration&gt;/TestResults, which git
/// ignores). Screenshots go to &lt;that folder&gt;/screenshots/&lt;name&gt;.png.
/// </summary>
public static class Artifacts
{
    public const string EnvironmentVariable = "TRIALMANAGER_ARTIFACTS";

    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return Path.GetFullPath(string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(AppContext.BaseDirectory, "..", "TestResults")
                : configured);
        }
    }

    /// <summary>&lt;root&gt;/screenshots/&lt;name&gt;.png (the folder is created).</summary>
    public static string ScreenshotPath(string name)
    {
        var folder = Path.Combine(Root, "screenshots");
        Directory.CreateDirectory(folder);
        var safe = string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        return Path.Combine(folder, safe + ".png");
    }
}
