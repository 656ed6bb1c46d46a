using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Safety;
using TrialManager.Web.Features.Supply;
using TrialManager.Web.Tests.Infrastructure;
using TrialManager.Web.Tests.Randomization;
using TrialManager.Web.Tests.Safety;
using TrialManager.Web.Tests.Supply;
using Xunit.Abstractions;

namespace TrialManager.Web.Tests.Scaling;

/// <summary>
/// Several real app processes on one database, each on its own loopback port, as instances behind a load balancer:
/// one browser's cookies go to whichever instance answers (cookies are per host, not per port, so one cookie jar
/// shared by clients of two ports is one browser behind a proxy).
/// </summary>
public sealed class TwoInstanceTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>, IDisposable
{
    private const string KeysSetting = "TrialManager:DataProtectionKeysDirectory";
    private const string CoordinatorName = "Casey Coordinator";

    // Set explicitly and fresh per test: without it every process of this user shares ~/.aspnet/DataProtection-Keys,
    // and the cross-instance checks would pass whatever the app's setting did.
    private readonly DirectoryInfo _sharedKeys = Directory.CreateTempSubdirectory("tm-keys-shared-");
    private readonly DirectoryInfo _foreignKeys = Directory.CreateTempSubdirectory("tm-keys-foreign-");

    [Fact]
    public async Task Sessions_and_forms_from_one_instance_are_honoured_by_another_and_refused_by_one_with_other_keys()
    {
        // A first, so it alone creates the shared key; B then reads it rather than racing to make its own.
        await using var a = await AppProcess.StartAsync(app, Keys(_sharedKeys));
        Assert.NotEmpty(_sharedKeys.GetFiles("key-*.xml"));
        var others = await StartAllAsync(Keys(_sharedKeys), Keys(_foreignKeys));
        await using var b = others[0];
        await using var foreign = others[1];
        Assert.Single(_sharedKeys.GetFiles("key-*.xml"));
        Assert.NotEmpty(_foreignKeys.GetFiles("key-*.xml"));

        // The sign-in form A rendered (an anonymous antiforgery token, so only the key ring can make it fail):
        // refused by the foreign instance, signs in on B.
        var visitor = new CookieContainer();
        using (var visitorOnA = new TestBrowser(app, Client(a.Address, visitor)))
        {
            var login = await visitorOnA.GetAsync("/Account/Login");
            var account = app.Account("investigator");
            KeyValuePair<string, string>[] credentials = [new("Input.Email", account.Email), new("Input.Password", account.Password)];
            var foreignJar = Copy(visitor);
            using var visitorOnForeign = new TestBrowser(app, Client(foreign.Address, foreignJar));
            Assert.Equal(HttpStatusCode.BadRequest, (await visitorOnForeign.SubmitAsync(login, "login", credentials, follow: false)).Status);
            Assert.DoesNotContain(foreignJar.GetAllCookies(), c => c.Name == "tm.session");

            using var visitorOnB = new TestBrowser(app, Client(b.Address, visitor));
            var landed = await visitorOnB.SubmitAsync(login, "login", credentials);
            Assert.Equal((b.Address.Port, "/"), (landed.Url.Port, landed.Path));
            Assert.Contains("Ines Investigator", CurrentUser(landed), StringComparison.Ordinal);
        }

        // One browser (one cookie jar) whose requests reach A or B.
        var jar = new CookieContainer();
        using var onA = new TestBrowser(app, Client(a.Address, jar));
        using var onB = new TestBrowser(app, Client(b.Address, jar));
        var home = await onA.SignInAsync("coordinator");
        Assert.Equal((a.Address.Port, "/"), (home.Url.Port, home.Path));
        Assert.Contains(CoordinatorName, CurrentUser(home), StringComparison.Ordinal);

        // B reads the session A issued.
        var list = await onB.GetAsync("/participants", follow: false);
        Assert.Equal(HttpStatusCode.OK, list.Status);
        Assert.Contains(CoordinatorName, CurrentUser(list), StringComparison.Ordinal);

        // Negative control: the same cookies at an instance with its own key ring are a stranger's.
        using var onForeign = new TestBrowser(app, Client(foreign.Address, Copy(jar)));
        AssertSentToSignIn(await onForeign.GetAsync("/participants", follow: false));

        // A form rendered by A (its antiforgery token and cookie) posted elsewhere: refused by the foreign instance,
        // saved by B.
        var form = await onA.GetAsync("/participants/new");
        Assert.Equal((a.Address.Port, HttpStatusCode.OK), (form.Url.Port, form.Status));
        var marker = $"scale-{Guid.NewGuid():N}";
        KeyValuePair<string, string>[] fields = [new("Input.YearOfBirth", "1990"), new("Input.Sex", "female"), new("Input.ConsentFormVersion", marker)];
        AssertSentToSignIn(await onForeign.SubmitAsync(form, "register-participant", fields, follow: false));
        // The sign-out endpoint lets anonymous posts through to check the token itself, so it shows the token alone failing.
        Assert.Equal(HttpStatusCode.BadRequest, (await onForeign.PostAsync("/Account/Logout", [new("__RequestVerificationToken", Token(home))], follow: false)).Status);
        Assert.Equal(0, await app.WithDbAsync(db => db.Participants.CountAsync(p => p.ConsentFormVersion == marker)));

        var saved = await onB.SubmitAsync(form, "register-participant", fields);
        Assert.Equal(b.Address.Port, saved.Url.Port);
        Assert.StartsWith("/participants/", saved.Path, StringComparison.Ordinal);
        var participant = await app.WithDbAsync(db => db.Participants.AsNoTracking().SingleAsync(p => p.ConsentFormVersion == marker));
        Assert.Equal(Guid.Parse(saved.Path["/participants/".Length..]), participant.Id);
        Assert.Equal(CoordinatorName, participant.ConsentObtainedByName);

        // Sign-out on B (with the token A rendered) ends the session on A: in this browser, and for a copy of the
        // cookie kept from before, because the new security stamp is in the database that A checks on every request.
        var kept = Copy(jar);
        using (var stillValid = new TestBrowser(app, Client(a.Address, Copy(jar))))
        {
            Assert.Equal(HttpStatusCode.OK, (await stillValid.GetAsync("/participants", follow: false)).Status);
        }

        var signedOut = await onB.SignOutAsync(home);
        Assert.Equal((b.Address.Port, "/Account/Login"), (signedOut.Url.Port, signedOut.Path));
        AssertSentToSignIn(await onA.GetAsync("/participants", follow: false));
        using var replay = new TestBrowser(app, Client(a.Address, kept));
        AssertSentToSignIn(await replay.GetAsync("/participants", follow: false));
    }

    [Fact]
    public async Task Randomizing_through_two_app_processes_at_once_keeps_every_invariant()
    {
        var trial = await RandomizationTrial.CreateAsync(app, "SCALE-01", kitsPerSite: 160, slotsPerStratum: 100);
        var queue = new ConcurrentQueue<Guid>(await trial.AddEligibleParticipantsAsync(app, "LON", 120));
        var instances = await StartAllAsync(Keys(_sharedKeys), Keys(_sharedKeys));
        await using var a = instances[0];
        await using var b = instances[1];

        // Eight coordinator sessions, alternately on A and B, all submitting at once.
        var sessions = new List<(int Instance, TestBrowser Browser)>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var browser = new TestBrowser(app, TestBrowser.ClientFor(instances[i % 2].Address));
                sessions.Add((i % 2, browser));
                Assert.Equal("/", (await browser.SignInAsync("coordinator")).Path);
            }

            var done = new int[2];
            await Task.WhenAll(sessions.Select(session => Task.Run(async () =>
            {
                while (queue.TryDequeue(out var id))
                {
                    Assert.True(await RandomizationInvariants.RandomizeThroughPageAsync(session.Browser, id), $"participant {id} was not randomized");
                    Interlocked.Increment(ref done[session.Instance]);
                }
            })));

            output.WriteLine($"randomized through A: {done[0]}, through B: {done[1]}");
            Assert.All(done, count => Assert.True(count > 0, "both instances must have randomized"));
            Assert.Equal(120, done.Sum());
            Assert.Equal(120, await RandomizationInvariants.AssertAllOrNothingAsync(app, trial));
        }
        finally
        {
            sessions.ForEach(s => s.Browser.Dispose());
        }
    }

    [Fact]
    public async Task Outbox_workers_of_two_app_processes_send_each_email_once()
    {
        using var sink = new SmtpSink();
        var smtp = new Dictionary<string, string>
        {
            ["TrialManager:Smtp:Host"] = sink.Host,
            ["TrialManager:Smtp:Port"] = sink.Port.ToString(CultureInfo.InvariantCulture),
            ["TrialManager:Smtp:PollSeconds"] = "1",
        };
        // A sender address per instance, only to tell afterwards who sent what.
        var instances = await StartAllAsync(
            new Dictionary<string, string>(smtp) { ["TrialManager:Smtp:From"] = "instance-a@sponsor.test" },
            new Dictionary<string, string>(smtp) { ["TrialManager:Smtp:From"] = "instance-b@sponsor.test" });
        await using var a = instances[0];
        await using var b = instances[1];

        // Queued after both are polling, all due at once, several batches' worth: both workers find them together.
        var subject = $"Outbox scaling {Guid.NewGuid():N}";
        var addresses = Enumerable.Range(1, 60).Select(i => $"reader{i}@example.org").ToList();
        var now = DateTimeOffset.UtcNow;
        await app.WithDbAsync(db =>
        {
            db.AuditActorOverride = AuditActor.System("scaling test");
            db.OutboxEmails.AddRange(addresses.Select(to => new OutboxEmail { ToAddress = to, Subject = subject, Body = "Hello.", CreatedAt = now, NextAttemptAt = now }));
            return db.SaveChangesAsync();
        });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await app.WithDbAsync(db => db.OutboxEmails.CountAsync(e => e.Subject == subject && e.SentAt == null)) > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The outbox was not sent within 30 s.");
            await Task.Delay(100);
        }

        // A second copy would come from a worker that claimed a message the other had already sent: by the time every
        // row is marked sent, such a send is under way, so two quiet poll periods are enough to see it land.
        var seen = sink.Messages.Count;
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(2))
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(10), "The sink never went quiet.");
            await Task.Delay(100);
            if (sink.Messages.Count != seen)
            {
                seen = sink.Messages.Count;
                quietSince = DateTime.UtcNow;
            }
        }

        var received = sink.Messages.Where(m => m.Subject == subject).ToList();
        output.WriteLine($"sent by A: {received.Count(m => m.From == "instance-a@sponsor.test")}, by B: {received.Count(m => m.From == "instance-b@sponsor.test")}");
        Assert.Equal(addresses.Order(StringComparer.Ordinal), received.SelectMany(m => m.Recipients).Order(StringComparer.Ordinal));
    }

    public void Dispose()
    {
        _sharedKeys.Delete(recursive: true);
        _foreignKeys.Delete(recursive: true);
    }

    /// <summary>Starts the processes side by side; if one fails, the others are stopped rather than left running.</summary>
    private async Task<AppProcess[]> StartAllAsync(params Dictionary<string, string>[] settings)
    {
        var starting = settings.Select(s => AppProcess.StartAsync(app, s)).ToList();
        try
        {
            return await Task.WhenAll(starting);
        }
        catch
        {
            foreach (var started in starting.Where(t => t.IsCompletedSuccessfully))
            {
                await started.Result.DisposeAsync();
            }

            throw;
        }
    }

    private static Dictionary<string, string> Keys(DirectoryInfo directory) => new() { [KeysSetting] = directory.FullName };

    /// <summary>A client of one instance that keeps its cookies in <paramref name="jar"/> (shared to be one browser).</summary>
    private static HttpClient Client(Uri address, CookieContainer jar) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true, CookieContainer = jar }) { BaseAddress = address };

    /// <summary>A snapshot of a jar (new cookie objects): what a copied or lingering cookie would be.</summary>
    private static CookieContainer Copy(CookieContainer jar)
    {
        var copy = new CookieContainer();
        foreach (var cookie in jar.GetAllCookies().Cast<Cookie>())
        {
            copy.Add(new Uri($"http://{cookie.Domain}{cookie.Path}"), new Cookie(cookie.Name, cookie.Value, cookie.Path));
        }

        return copy;
    }

    private static string CurrentUser(Page page) => page.Document.QuerySelector("[data-testid=current-user]")?.TextContent ?? "";

    private static string Token(Page page) =>
        page.Document.QuerySelector("form[action='/Account/Logout'] input[name='__RequestVerificationToken']")?.GetAttribute("value")
        ?? throw new InvalidOperationException($"No sign-out form on {page.Path}");

    private static void AssertSentToSignIn(Page page)
    {
        Assert.Equal(HttpStatusCode.Found, page.Status);
        Assert.Contains("/Account/Login", page.Response.Headers.Location?.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>
/// The background work of two app hosts of one deployment (in process, on the same fake clock, as instances kept in
/// time by NTP): each job, run by both at once, acts once.
/// </summary>
public sealed class BackgroundWorkAcrossInstancesTests(TrialApp app, ITestOutputHelper output) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Safety_clock_monitors_on_two_instances_raise_each_alert_and_tell_it_once()
    {
        await using var second = new ClockedInstance(app);
        SafetyClockMonitor[] monitors = [app.Services.GetRequiredService<SafetyClockMonitor>(), second.Services.GetRequiredService<SafetyClockMonitor>()];
        var participant = await app.RegisterParticipantAsync("coordinator");
        var events = new List<AdverseEvent>();
        foreach (var term in new[] { "Seizure", "Syncope", "Chest pain", "Psychosis", "Fall", "Pneumonia" })
        {
            events.Add(await app.ReportAsync("coordinator", participant.Id, app.Serious("LON", term)));
        }

        // Past every deadline of an unassessed serious event (the latest, the sponsor's assessment, is 16 local days on).
        app.Clock.Advance(TimeSpan.FromDays(20));
        var raised = new int[2];
        for (var round = 0; round < 3; round++)
        {
            var counts = await Task.WhenAll(monitors.Select(m => Task.Run(() => m.RunOnceAsync())));
            raised[0] += counts[0];
            raised[1] += counts[1];
        }

        output.WriteLine($"alerts raised by the first instance: {raised[0]}, by the second: {raised[1]}");
        var ids = events.Select(e => e.Id).ToList();
        var alerts = await app.WithDbAsync(db => db.SafetyAlerts.AsNoTracking().Where(a => ids.Contains(a.AdverseEventId)).ToListAsync());
        Assert.Equal(alerts.Count, raised.Sum());
        Assert.All(events, e => Assert.Contains(alerts, a => a.AdverseEventId == e.Id && a.Level == AlertLevel.Overdue));
        foreach (var e in events)
        {
            var told = await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Link == $"/adverse-events/{e.Id}" && n.Subject.StartsWith("Overdue: ")));
            Assert.Equal(alerts.Count(a => a.AdverseEventId == e.Id && a.Level == AlertLevel.Overdue), told);
        }
    }

    [Fact]
    public async Task Resupply_checks_on_two_instances_at_once_propose_one_shipment()
    {
        await using var second = new ClockedInstance(app);
        var trial = await RandomizationTrial.CreateAsync(app, "SCALE-SUP", kitsPerSite: 8);
        var lon = await app.SiteIdAsync("LON");
        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1)).Single();
        var randomized = await SupplyScenario.RandomizeAsync(app, "coordinator", id);
        Assert.True(randomized.Succeeded, SupplyScenario.Describe(randomized.Outcome));
        // Four kits of each arm less the one dispensed: under the minimum of four, so a check must propose.
        Assert.True((await SupplyScenario.ShelfByArmAsync(app, trial, lon)).Values.Min() < 4);

        var proposed = new int[2];
        for (var round = 0; round < 3; round++)
        {
            var outcomes = await Task.WhenAll(new[] { app.Services, second.Services }.Select(services => Task.Run(async () =>
            {
                await using var scope = services.CreateAsyncScope();
                return await scope.ServiceProvider.GetRequiredService<ResupplyCheck>().RunAsSystemAsync();
            })));
            proposed[0] += outcomes[0].ShipmentsProposed;
            proposed[1] += outcomes[1].ShipmentsProposed;
        }

        output.WriteLine($"shipments proposed by the first instance: {proposed[0]}, by the second: {proposed[1]}");
        Assert.Equal(1, proposed.Sum());

        var shipment = Assert.Single(await app.WithDbAsync(db => db.Shipments.AsNoTracking().Where(s => s.TrialId == trial.TrialId && s.Reason == ShipmentReason.Resupply).ToListAsync()));
        Assert.Equal((lon, 1, ShipmentStatus.Requested), (shipment.SiteId, shipment.Number, shipment.Status));
        Assert.Equal(shipment.KitCount, await app.WithDbAsync(db => db.Kits.CountAsync(k => k.ShipmentId == shipment.Id)));
        Assert.Equal(1, await app.WithDbAsync(db => db.Notifications.CountAsync(n => n.Subject == $"Resupply proposed: {trial.Code} shipment 1 to LON")));
    }
}

/// <summary>Another host of the deployment (same database and master key, its own memory) on the first one's fake clock.</summary>
public sealed class ClockedInstance(TrialApp first) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in first.DeploymentSettings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.ClearProviders());
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(first.Clock));
    }
}
