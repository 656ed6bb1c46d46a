using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Tests.Authorization;
using TrialManager.Web.Tests.Hosting;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// Disk full on the PDF path. The app writes no PDF to its own disk: documents are built in memory and streamed
/// (src/TrialManager.Documents and Features/Documents open no file). What a download does write is its audit entry
/// (who took which document, with its hash), in PostgreSQL. So the disk that can fill under a download is the
/// database's; PostgreSQL then refuses the insert with SQLSTATE 53100 ("could not extend file ...: No space left on
/// device"). The test makes the database answer exactly that, with a trigger the test owns (a fault injected at the
/// database, not a stand-in for it): the download must be refused with a clear page, never sent unaudited, and work again
/// once there is room.
/// </summary>
public class DiskFullTests(TrialApp app) : IClassFixture<TrialApp>
{
    private const string FaultTrigger = "tm_test_disk_full";

    [Fact]
    public async Task With_the_database_disk_full_a_pdf_download_is_refused_clearly_and_never_sent_unaudited()
    {
        var own = await AuthorizationMatrixTests.SiteObjectsAsync(app, "LON");
        using var investigator = app.NewBrowser();
        Assert.Equal("/", (await investigator.SignInAsync("investigator")).Path);
        var urls = new[] { $"/participants/{own.ParticipantId}/casebook.pdf", $"/trials/{AuthorizationMatrixTests.MatrixTrialCode}/blank-crf.pdf", $"/adverse-events/{own.EventId}/report.pdf" };
        foreach (var url in urls)
        {
            Assert.Equal("application/pdf", (await investigator.GetAsync(url)).Response.Content.Headers.ContentType?.MediaType);
        }

        var downloadsBefore = await CountDownloadsAsync();
        await InjectDiskFullAsync(on: true);
        try
        {
            foreach (var url in urls)
            {
                var refused = await investigator.GetAsync(url, follow: false);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
                Assert.Equal("text/html", refused.Response.Content.Headers.ContentType?.MediaType);
                Assert.DoesNotContain("%PDF", refused.Html, StringComparison.Ordinal);
                Assert.Contains("The database is out of room", refused.Text, StringComparison.Ordinal);
                Assert.Contains("Nothing was saved", refused.Text, StringComparison.Ordinal);
                ErrorDetails.AssertNoneIn(refused.Html, "No space left", "53100");
            }
        }
        finally
        {
            await InjectDiskFullAsync(on: false);
        }

        Assert.Equal(downloadsBefore, await CountDownloadsAsync());
        foreach (var url in urls)
        {
            Assert.Equal("application/pdf", (await investigator.GetAsync(url)).Response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(downloadsBefore + urls.Length, await CountDownloadsAsync());
        var chain = await app.Services.GetRequiredService<AuditChainVerifier>().VerifyAsync();
        Assert.True(chain.Intact, chain.Problem);
    }

    private Task<int> CountDownloadsAsync() => app.WithDbAsync(db => db.AuditTrail.CountAsync(e => e.Action == "DownloadPdf"));

    /// <summary>Makes every new audit entry fail as PostgreSQL fails an insert on a full disk (as a superuser: the app's role may not).</summary>
    private async Task InjectDiskFullAsync(bool on)
    {
        var server = await PostgresServer.GetAsync();
        var database = new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!;
        await server.ExecuteAsync(
            on
                ? $$"""
                  CREATE FUNCTION {{FaultTrigger}}() RETURNS trigger LANGUAGE plpgsql AS $f$
                  BEGIN
                    RAISE EXCEPTION 'could not extend file "base/16384/16421": No space left on device'
                      USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
                  END $f$;
                  CREATE TRIGGER {{FaultTrigger}} BEFORE INSERT ON "AuditTrail" FOR EACH ROW EXECUTE FUNCTION {{FaultTrigger}}();
                  """
                : $"""DROP TRIGGER {FaultTrigger} ON "AuditTrail"; DROP FUNCTION {FaultTrigger}();""",
            database);
    }
}
