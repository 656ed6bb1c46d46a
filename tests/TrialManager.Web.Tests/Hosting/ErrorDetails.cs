namespace TrialManager.Web.Tests.Hosting;

/// <summary>What an error page must never show: stack frames, exception types, SQL, table names or the app's own namespaces.</summary>
public static class ErrorDetails
{
    private static readonly string[] Leaks = ["   at ", "Exception", "Npgsql", "StackTrace", "stack trace", "SELECT ", "INSERT ", "AspNetUsers", "TrialManager.Web.", "<script>"];

    public static void AssertNoneIn(string html, params string[] alsoSecret)
    {
        foreach (var leak in Leaks.Concat(alsoSecret))
        {
            Assert.DoesNotContain(leak, html, StringComparison.Ordinal);
        }
    }
}
