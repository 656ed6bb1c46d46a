using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Notifications;
using TrialManager.Web.Tests.Account;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Notifications;

/// <summary>The app with SMTP pointed at a local sink, and a worker that never polls on its own during a test.</summary>
public sealed class OutboxApp : TrialApp
{
    public const string From = "trials@sponsor.test";
    public const string SmtpPassword = "sink-password-q7Xk2v";
    public const int MaxAttempts = 3;
    public const int RetryAfterSeconds = 60;

    public SmtpSink Sink { get; } = new();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["TrialManager:Smtp:Host"] = Sink.Host,
        ["TrialManager:Smtp:Port"] = Sink.Port.ToString(CultureInfo.InvariantCulture),
        ["TrialManager:Smtp:From"] = From,
        ["TrialManager:Smtp:UserName"] = "outbox",
        ["TrialManager:Smtp:Password"] = SmtpPassword,
        ["TrialManager:Smtp:PublicBaseUrl"] = "https://trials.sponsor.test/",
        ["TrialManager:Smtp:MaxAttempts"] = MaxAttempts.ToString(CultureInfo.InvariantCulture),
        ["TrialManager:Smtp:RetryAfterSeconds"] = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture),
        // The tests call DispatchDueAsync themselves; the app's own worker must not race them.
        ["TrialManager:Smtp:PollSeconds"] = "86400",
    };

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Sink.Dispose();
    }
}

public class EmailOutboxTests(OutboxApp app) : IClassFixture<OutboxApp>, IAsyncLifetime
{
    private static readonly AuditActor Actor = AuditActor.System("outbox test");

    private Notifier Notifier => app.Services.GetRequiredService<Notifier>();

    /// <summary>Each test starts with an empty outbox and sink, so a retry left by another test cannot fall due in it.</summary>
    public async Task InitializeAsync()
    {
        app.Sink.Start();
        app.Sink.Clear();
        await app.WithDbAsync(db => db.OutboxEmails.ExecuteDeleteAsync());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_role_notification_reaches_each_enabled_member_with_an_address_by_email()
    {
        var other = await app.CreateAccountAsync([TrialRoles.DsmbMember]);
        var disabled = await app.CreateAccountAsync([TrialRoles.DsmbMember]);
        var noAddress = await app.CreateAccountAsync([TrialRoles.DsmbMember]);
        await app.WithDbAsync(async db =>
        {
            await db.Users.Where(u => u.Id == disabled.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.IsDisabled, true));
            return await db.Users.Where(u => u.Id == noAddress.Id).ExecuteUpdateAsync(u => u.SetProperty(x => x.Email, (string?)null).SetProperty(x => x.NormalizedEmail, (string?)null));
        });
        var subject = Unique("Interim safety report ready");

        await Notifier.NotifyRolesAsync([TrialRoles.DsmbMember], subject, "The interim safety report is ready for the board.", "/dsmb/reports", Actor);
        Assert.Equal(2, await DispatchAsync());

        var received = app.Sink.Messages;
        Assert.Equal(
            new[] { app.Account("dsmb").Email, other.Email }.Order(StringComparer.Ordinal),
            received.SelectMany(m => m.Recipients).Order(StringComparer.Ordinal));
        Assert.All(received, m =>
        {
            Assert.Equal(OutboxApp.From, m.From);
            Assert.Equal($"[TrialManager] {subject}", m.Subject);
            Assert.Contains("The interim safety report is ready for the board.", m.Body, StringComparison.Ordinal);
            Assert.Contains("https://trials.sponsor.test/dsmb/reports", m.Body, StringComparison.Ordinal);
        });
        var rows = await app.WithDbAsync(db => db.OutboxEmails.AsNoTracking().ToListAsync());
        Assert.All(rows, r => Assert.True(r.SentAt is not null && r.Attempts == 0 && r.LastError is null));

        // The in-app inbox has it for every enabled member, with an address or not; a disabled user has neither.
        var inbox = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == subject).Select(n => n.UserId).ToListAsync());
        var dsmb = await app.UserIdAsync("dsmb");
        Assert.Equal(new[] { dsmb, other.Id, noAddress.Id }.Order(StringComparer.Ordinal), inbox.Order(StringComparer.Ordinal));

        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await DispatchAsync());
        Assert.Equal(2, app.Sink.Messages.Count);
    }

    [Fact]
    public async Task A_rejected_message_is_retried_after_the_backoff_not_before_and_delivered_once()
    {
        app.Sink.RejectNext(1, SmtpRejection.AfterData);
        var subject = Unique("Query answered");
        await Notifier.NotifyUsersAsync([await app.UserIdAsync("datamanager")], subject, "A site answered your query.", "/worklist", Actor);

        Assert.Equal(0, await DispatchAsync());
        Assert.Equal(1, app.Sink.Rejected);
        Assert.Empty(app.Sink.Messages);
        var failed = await SingleRowAsync();
        Assert.Equal(1, failed.Attempts);
        Assert.Null(failed.SentAt);
        Assert.Contains("Try again later", failed.LastError, StringComparison.Ordinal);
        AssertAbout(app.Clock.GetUtcNow() + TimeSpan.FromSeconds(OutboxApp.RetryAfterSeconds), failed.NextAttemptAt);

        app.Clock.Advance(TimeSpan.FromSeconds(OutboxApp.RetryAfterSeconds - 1));
        Assert.Equal(0, await DispatchAsync());
        Assert.Empty(app.Sink.Messages);
        Assert.Equal(1, (await SingleRowAsync()).Attempts);

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await DispatchAsync());
        var delivered = Assert.Single(app.Sink.Messages);
        Assert.Equal([app.Account("datamanager").Email], delivered.Recipients);
        Assert.Equal($"[TrialManager] {subject}", delivered.Subject);
        var sent = await SingleRowAsync();
        AssertAbout(app.Clock.GetUtcNow(), sent.SentAt!.Value);
        Assert.Null(sent.LastError);

        app.Clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, await DispatchAsync());
        Assert.Single(app.Sink.Messages);
    }

    [Fact]
    public async Task After_max_attempts_a_message_is_given_up_and_never_retried()
    {
        await Notifier.NotifyUsersAsync([await app.UserIdAsync("safety")], Unique("Clock due soon"), "A reporting clock is due soon.", "/adverse-events", Actor);

        // First the server is down (connection refused), then it refuses the message twice.
        app.Sink.Stop();
        Assert.Equal(0, await DispatchAsync());
        var first = await SingleRowAsync();
        Assert.Equal(1, first.Attempts);
        Assert.False(string.IsNullOrWhiteSpace(first.LastError));
        AssertAbout(app.Clock.GetUtcNow() + TimeSpan.FromSeconds(OutboxApp.RetryAfterSeconds), first.NextAttemptAt);

        app.Sink.Start();
        app.Sink.RejectNext(2, SmtpRejection.AtMailFrom);
        app.Clock.Advance(TimeSpan.FromSeconds(OutboxApp.RetryAfterSeconds));
        Assert.Equal(0, await DispatchAsync());
        var second = await SingleRowAsync();
        Assert.Equal(2, second.Attempts);
        AssertAbout(app.Clock.GetUtcNow() + TimeSpan.FromSeconds(2 * OutboxApp.RetryAfterSeconds), second.NextAttemptAt);

        app.Clock.Advance(TimeSpan.FromSeconds(2 * OutboxApp.RetryAfterSeconds));
        Assert.Equal(0, await DispatchAsync());
        var given = await SingleRowAsync();
        Assert.Equal(OutboxApp.MaxAttempts, given.Attempts);
        AssertAbout(app.Clock.GetUtcNow(), given.GaveUpAt!.Value);
        Assert.Null(given.SentAt);
        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal) && l.Contains(given.Id.ToString(), StringComparison.Ordinal));
        Assert.Equal(2, app.Sink.Rejected);

        app.Clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal(0, await DispatchAsync());
        Assert.Empty(app.Sink.Messages);
        Assert.Equal(OutboxApp.MaxAttempts, (await SingleRowAsync()).Attempts);
        Assert.DoesNotContain(OutboxApp.SmtpPassword, given.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(OutboxApp.SmtpPassword, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_message_does_not_stop_the_next_ones()
    {
        var refused = await app.CreateAccountAsync([TrialRoles.DataManager]);
        var accepted = await app.CreateAccountAsync([TrialRoles.DataManager]);
        app.Sink.RejectRecipient(refused.Email);
        // A malformed address fails before any SMTP; being due earliest, it is tried first.
        var malformed = new OutboxEmail { ToAddress = "not an address", Subject = "x", Body = "x", CreatedAt = app.Clock.GetUtcNow(), NextAttemptAt = app.Clock.GetUtcNow() - TimeSpan.FromMinutes(1) };
        await app.WithDbAsync(db =>
        {
            db.AuditActorOverride = Actor;
            db.OutboxEmails.Add(malformed);
            return db.SaveChangesAsync();
        });
        var subject = Unique("Deviation reported");

        await Notifier.NotifyUsersAsync([refused.Id, accepted.Id], subject, "A protocol deviation was reported.", "/deviations", Actor);
        Assert.Equal(1, await DispatchAsync());

        var delivered = Assert.Single(app.Sink.Messages);
        Assert.Equal([accepted.Email], delivered.Recipients);
        var rows = await app.WithDbAsync(db => db.OutboxEmails.AsNoTracking().ToListAsync());
        var bounced = rows.Single(r => r.ToAddress == refused.Email);
        Assert.Equal(1, bounced.Attempts);
        Assert.Contains("No such user", bounced.LastError, StringComparison.Ordinal);
        // The server named the address in its refusal; the log masks it.
        Assert.Contains(app.Logs.Lines, l => l.Contains(bounced.Id.ToString(), StringComparison.Ordinal) && l.Contains("<recipient>", StringComparison.Ordinal));
        Assert.DoesNotContain(app.Logs.Lines, l => l.Contains(refused.Email, StringComparison.OrdinalIgnoreCase));
        var bad = rows.Single(r => r.Id == malformed.Id);
        Assert.Equal(1, bad.Attempts);
        Assert.False(string.IsNullOrWhiteSpace(bad.LastError));
        Assert.NotNull(rows.Single(r => r.ToAddress == accepted.Email).SentAt);
    }

    [Fact]
    public async Task Dispatchers_running_at_once_send_each_message_exactly_once()
    {
        var now = app.Clock.GetUtcNow();
        var addresses = Enumerable.Range(1, 3 * OutboxDispatcher.BatchSize + 5).Select(i => $"reader{i}@example.org").ToList();
        await app.WithDbAsync(db =>
        {
            db.AuditActorOverride = Actor;
            db.OutboxEmails.AddRange(addresses.Select(a => new OutboxEmail { ToAddress = a, Subject = "Newsletter", Body = "Hello.", CreatedAt = now, NextAttemptAt = now }));
            return db.SaveChangesAsync();
        });

        // As three app instances would: separate contexts and connections, one database.
        var dispatcher = app.Services.GetRequiredService<OutboxDispatcher>();
        var sent = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Task.Run(() => dispatcher.DispatchDueAsync(CancellationToken.None))));

        Assert.Equal(addresses.Count, sent.Sum());
        Assert.Equal(addresses.Order(StringComparer.Ordinal), app.Sink.Messages.SelectMany(m => m.Recipients).Order(StringComparer.Ordinal));
        Assert.Equal(0, await app.WithDbAsync(db => db.OutboxEmails.CountAsync(e => e.SentAt == null)));
    }

    [Fact]
    public async Task The_worker_survives_a_failed_run_sends_on_its_own_and_stops_promptly()
    {
        Assert.Single(app.Services.GetServices<IHostedService>().OfType<EmailOutboxWorker>());
        var settings = app.Services.GetRequiredService<IOptions<SmtpSettings>>().Value;
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var dispatcher = new OutboxDispatcher(
            new FailingOnceFactory(app.Services.GetRequiredService<IDbContextFactory<TrialDbContext>>()),
            app.Services.GetRequiredService<SmtpMailer>(),
            Options.Create(settings),
            app.Clock,
            loggers.CreateLogger<OutboxDispatcher>());
        var fast = new SmtpSettings { Host = settings.Host, Port = settings.Port, PollSeconds = 1 };
        using var worker = new EmailOutboxWorker(() => dispatcher, Options.Create(fast), app.Clock, loggers.CreateLogger<EmailOutboxWorker>());
        var subject = Unique("Kit stock low");
        await Notifier.NotifyUsersAsync([await app.UserIdAsync("admin")], subject, "Kit stock is low at a site.", "/kits", Actor);

        await worker.StartAsync(CancellationToken.None);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (app.Sink.Messages.Count == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            var stopping = Stopwatch.StartNew();
            await worker.StopAsync(CancellationToken.None);
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(2), $"The worker took {stopping.Elapsed} to stop.");
        }

        Assert.Equal($"[TrialManager] {subject}", Assert.Single(app.Sink.Messages).Subject);
        Assert.Contains(app.Logs.Lines, l => l.StartsWith("Error", StringComparison.Ordinal) && l.Contains("outbox test: database unavailable", StringComparison.Ordinal));
        Assert.True(worker.ExecuteTask!.IsCompletedSuccessfully);
    }

    private Task<int> DispatchAsync() => app.Services.GetRequiredService<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None);

    private Task<OutboxEmail> SingleRowAsync() => app.WithDbAsync(db => db.OutboxEmails.AsNoTracking().SingleAsync());

    private static string Unique(string subject) => $"{subject} {Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>PostgreSQL keeps microseconds; the clock has 100 ns ticks.</summary>
    private static void AssertAbout(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.True((actual - expected).Duration() < TimeSpan.FromMilliseconds(1), $"Expected {expected:O}, got {actual:O}.");

    /// <summary>A database that is unavailable for the first run only.</summary>
    private sealed class FailingOnceFactory(IDbContextFactory<TrialDbContext> inner) : IDbContextFactory<TrialDbContext>
    {
        private int _calls;

        public TrialDbContext CreateDbContext() => Interlocked.Increment(ref _calls) == 1
            ? throw new InvalidOperationException("outbox test: database unavailable")
            : inner.CreateDbContext();
    }
}

/// <summary>The default test app has no SMTP host.</summary>
public class EmailOutboxDisabledTests(TrialApp app) : IClassFixture<TrialApp>
{
    [Fact]
    public async Task Without_an_smtp_host_notifications_stay_in_app_and_no_email_is_queued()
    {
        var subject = $"Randomisation unavailable {Guid.NewGuid():N}";
        await app.Services.GetRequiredService<Notifier>().NotifyRolesAsync([TrialRoles.DataManager], subject, "No allocation was available.", "/worklist", AuditActor.System("outbox test"));

        var inbox = await app.WithDbAsync(db => db.Notifications.Where(n => n.Subject == subject).Select(n => n.UserId).ToListAsync());
        Assert.Equal([await app.UserIdAsync("datamanager")], inbox);
        Assert.Equal(0, await app.WithDbAsync(db => db.OutboxEmails.CountAsync()));
        Assert.Equal(0, await app.Services.GetRequiredService<OutboxDispatcher>().DispatchDueAsync(CancellationToken.None));
    }
}
