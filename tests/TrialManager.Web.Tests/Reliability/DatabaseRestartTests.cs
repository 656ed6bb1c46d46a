using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TrialManager.Web.Hosting;
using TrialManager.Web.Tests.Hosting;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Reliability;

/// <summary>
/// PostgreSQL stopped and started again under a serving app, on a cluster of the test's own (the shared test server
/// serves every other class): while it is down, pages, forms and /health fail cleanly (a 503 that says nothing was
/// saved, no stack trace, nothing half-written); once it is back, the same app process serves again, sessions intact.
/// </summary>
public class DatabaseRestartTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task While_the_database_restarts_requests_fail_cleanly_and_the_app_recovers_without_a_restart()
    {
        var root = Path.Combine(Path.GetTempPath(), $"trialmanager-pg-restart-{Guid.NewGuid():N}");
        var cluster = await EmbeddedPostgres.StartPersistentAsync(root, null, NullLogger.Instance);
        try
        {
            // The fixture's seeded database, copied onto the cluster this test may stop.
            await cluster.EnsureDatabaseAsync("tm_restart");
            var connection = cluster.ConnectionString("tm_restart");
            var dump = Path.Combine(root, "seed.dump");
            await PostgresTools.RunAsync("pg_dump", app.ConnectionString, "--format=custom", "--no-owner", $"--file={dump}", new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!);
            await PostgresTools.RunAsync("pg_restore", connection, "--no-owner", "--exit-on-error", "--dbname=tm_restart", dump);

            await using var instance = new SecondInstance(app, new Dictionary<string, string> { ["ConnectionStrings:TrialManager"] = connection });
            using var coordinator = instance.NewBrowser();
            Assert.Equal("/", (await coordinator.SignInAsync("coordinator")).Path);
            using var anonymous = instance.NewBrowser();
            var registration = await coordinator.GetAsync("/participants/new");
            Assert.Equal(HttpStatusCode.OK, (await coordinator.GetAsync("/participants", follow: false)).Status);
            var participantsBefore = await CountParticipantsAsync(connection);

            await cluster.StopAsync();

            var page = await coordinator.GetAsync("/participants", follow: false);
            var form = await coordinator.SubmitAsync(registration, "register-participant", ("Input.YearOfBirth", "1984"), ("Input.Sex", "female"), ("Input.ConsentedOn", "2026-11-01"), ("Input.ConsentFormVersion", "2.0"));
            var signIn = await anonymous.GetAsync("/Account/Login");
            var health = await anonymous.GetAsync("/health", follow: false);
            foreach (var (what, answer) in new[] { ("a page", page), ("a form", form) })
            {
                Assert.True(answer.Status == HttpStatusCode.ServiceUnavailable, $"{what} while the database is down: {(int)answer.Status} {answer.Text[..Math.Min(200, answer.Text.Length)]}");
                Assert.Contains("The database is not available", answer.Text, StringComparison.Ordinal);
                Assert.Contains("Nothing was saved", answer.Text, StringComparison.Ordinal);
                ErrorDetails.AssertNoneIn(answer.Html);
            }

            Assert.True((int)signIn.Status < 500, $"the sign-in page while the database is down: {(int)signIn.Status}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.Status);
            Assert.Equal("Unhealthy", health.Html.Trim());

            // The same server again, on the same port: the app, never restarted, must serve as before.
            var port = cluster.Port;
            await using var again = await EmbeddedPostgres.StartPersistentAsync(root, null, NullLogger.Instance);
            Assert.Equal(port, again.Port);
            cluster = again;

            // A pooled connection opened before the restart fails once when next used (the server closed it); the pool
            // then drops it. So a request may still meet one such connection: it must fail as cleanly as above, and the
            // app must serve again within a few requests.
            var attempts = new List<HttpStatusCode>();
            for (var i = 0; i < 5 && attempts.LastOrDefault() != HttpStatusCode.OK; i++)
            {
                var answer = await coordinator.GetAsync("/participants", follow: false);
                attempts.Add(answer.Status);
                Assert.True(answer.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"after the restart: {(int)answer.Status}");
                ErrorDetails.AssertNoneIn(answer.Html);
            }

            Assert.Equal(HttpStatusCode.OK, attempts.Last());
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health", follow: false)).Status);
            Assert.Equal(participantsBefore, await CountParticipantsAsync(connection));
            var registered = await coordinator.SubmitAsync(await coordinator.GetAsync("/participants/new"), "register-participant",
                ("Input.YearOfBirth", "1984"), ("Input.Sex", "female"), ("Input.ConsentedOn", "2026-11-01"), ("Input.ConsentFormVersion", "2.0"));
            Assert.StartsWith("/participants/", registered.Path, StringComparison.Ordinal);
            Assert.Equal(participantsBefore + 1, await CountParticipantsAsync(connection));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await cluster.StopAsync();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<long> CountParticipantsAsync(string connection)
    {
        // Unpooled: the test's own connection must not be one left over from before the restart.
        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connection) { Pooling = false }.ConnectionString);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM \"Participants\"", db);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
