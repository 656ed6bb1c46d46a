using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Access;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Benchmarks.Generation;

/// <summary>
/// Fills a trial at scale through the app's real operations, each called as the person who would call it (the site's
/// coordinator or investigator, the data manager, the safety officer) at the moment it happens in the participant's
/// timeline. Only the accounts and their site memberships are set up directly (through Identity); the protocol is
/// imported and the list generated through their own classes. Every operation's result is checked: a refusal stops
/// the run with the operation's messages. See <see cref="TrialPlanner"/> for what is generated.
/// </summary>
public static class ScaleDataGenerator
{
    private const string SystemActor = "scale data generator";

    /// <param name="appServices">The root services of a running app host whose TimeProvider is a <see cref="SimulatedClock"/> (see <see cref="ScaleHost.UseSimulatedClock"/>).</param>
    public static async Task<ScaleSummary> RunAsync(IServiceProvider appServices, ScaleOptions options, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        Validate(options);
        var clock = appServices.GetRequiredService<TimeProvider>() as SimulatedClock
            ?? throw new InvalidOperationException("The app's TimeProvider must be a SimulatedClock (ScaleHost.UseSimulatedClock), so each operation sees its own moment.");
        var watch = Stopwatch.StartNew();
        var now = options.Now ?? clock.GetUtcNow();
        now = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), now.Offset);
        var counters = new Counters(watch);
        counters.Report(progress, "planning", 0, 1);
        var plan = TrialPlanner.Plan(options, now);

        // Set-up happens when the trial starts; each worker step sets its own moment later.
        clock.Now = plan.StartsAt;
        var run = await SetUpAsync(appServices, plan, counters, progress, cancellationToken);
        await RunSitesAsync(appServices, clock, plan, run, counters, progress, cancellationToken);
        clock.Now = null;
        counters.Report(progress, "counting", 0, 1);
        var summary = await SummarizeAsync(appServices, plan, run, counters.Operations, watch.Elapsed, cancellationToken);
        counters.Report(progress, "done", 1, 1);
        return summary;
    }

    private static void Validate(ScaleOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Sites, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Sites, 999, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.Participants, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.AdverseEvents, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.EligiblePool, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(options.ScreenFailureCount, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Workers, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EnrolmentMonths, 3, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.EnrolmentMonths, 60, nameof(options));
        if (options.EndedEarlyShare is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "EndedEarlyShare is a share from 0 to 1.");
        }

        if (options.Password.Length < 12)
        {
            throw new ArgumentException("Give the generated accounts a password of at least 12 characters.", nameof(options));
        }
    }

    /// <summary>Roles, accounts, the protocol and its sealed list, and who works at which site.</summary>
    private static async Task<RunContext> SetUpAsync(IServiceProvider services, TrialPlan plan, Counters counters, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var options = plan.Options;
        var siteCodes = plan.Sites.Select(s => s.Site.Code).ToList();
        var people = ScaleAccounts.TrialWide.Count + (2 * siteCodes.Count);
        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
            db.AuditActorOverride = AuditActor.System(SystemActor);
            var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
            foreach (var role in TrialRoles.All)
            {
                if (!await roles.RoleExistsAsync(role))
                {
                    Check(await roles.CreateAsync(new IdentityRole(role)));
                }
            }

            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var accounts = new List<(string Email, string Name, string Role)>
            {
                (ScaleAccounts.Administrator, "Alex Administrator", TrialRoles.Administrator),
                (ScaleAccounts.SafetyOfficer, "Sam Safety", TrialRoles.SafetyOfficer),
                (ScaleAccounts.DsmbMember, "Dana Board", TrialRoles.DsmbMember),
                (ScaleAccounts.DataManager, "Drew Data", TrialRoles.DataManager),
                (ScaleAccounts.DepotManager, "Dee Depot", TrialRoles.DepotManager),
            };
            accounts.AddRange(siteCodes.SelectMany(code => new[]
            {
                (ScaleAccounts.Coordinator(code), $"Coordinator {code}", TrialRoles.SiteCoordinator),
                (ScaleAccounts.Investigator(code), $"Investigator {code}", TrialRoles.Investigator),
            }));
            var made = 0;
            foreach (var (email, name, role) in accounts)
            {
                await EnsureUserAsync(users, email, name, role, options.Password, plan.StartsAt);
                counters.Report(progress, "accounts", ++made, people);
            }
        }

        var admin = await PrincipalAsync(services, ScaleAccounts.Administrator);
        var trialId = await AsAsync(services, admin, async s =>
        {
            var imported = await s.GetRequiredService<ProtocolImporter>().ImportAsync(plan.ProtocolText, options.TrialCode + ".yaml", new ProtocolImportActor("scale-generator", SystemActor), cancellationToken);
            if (imported.Kind != ProtocolImportKind.NewTrial)
            {
                throw new InvalidOperationException($"Protocol {options.TrialCode} did not import as a new trial ({imported.Kind}): {string.Join("; ", imported.Load.Errors)}");
            }

            return await s.GetRequiredService<TrialDbContext>().Trials.Where(t => t.Code == options.TrialCode).Select(t => t.Id).SingleAsync(cancellationToken);
        });
        counters.Report(progress, "randomization list", 0, 1);
        await AsAsync(services, admin, async s => Outcome.Check(await s.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(trialId, cancellationToken)));

        await using (var scope = services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
            db.AuditActorOverride = AuditActor.System(SystemActor);
            var sites = await db.Sites.Where(s => siteCodes.Contains(s.Code)).ToDictionaryAsync(s => s.Code, s => s.Id, StringComparer.Ordinal, cancellationToken);
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            foreach (var code in siteCodes)
            {
                foreach (var email in new[] { ScaleAccounts.Coordinator(code), ScaleAccounts.Investigator(code) })
                {
                    var user = await users.FindByEmailAsync(email) ?? throw new InvalidOperationException(email);
                    if (!await db.SiteMemberships.AnyAsync(m => m.UserId == user.Id && m.SiteId == sites[code], cancellationToken))
                    {
                        db.SiteMemberships.Add(new SiteMembership { UserId = user.Id, SiteId = sites[code] });
                    }
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            return new RunContext(trialId, options.Password, sites);
        }
    }

    /// <summary>The workers: each takes whole sites from a queue (largest first) and plays every step of every participant there.</summary>
    private static async Task RunSitesAsync(IServiceProvider services, SimulatedClock clock, TrialPlan plan, RunContext run, Counters counters, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        var trialWide = new Dictionary<Actor, ClaimsPrincipal>
        {
            [Actor.DataManager] = await PrincipalAsync(services, ScaleAccounts.DataManager),
            [Actor.SafetyOfficer] = await PrincipalAsync(services, ScaleAccounts.SafetyOfficer),
        };
        var queue = new ConcurrentQueue<SitePlan>(plan.Sites.OrderByDescending(s => s.StepCount).ThenBy(s => s.Number));
        var (totalSteps, totalPeople) = (plan.TotalSteps, plan.TotalPeople);
        counters.StartPhase();
        var profile = services.GetService<GenerationProfile>();
        profile?.StartSteps();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var reporting = new CancellationTokenSource();
        var reporter = progress is null ? Task.CompletedTask : Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(reporting.Token).ConfigureAwait(false))
            {
                counters.ReportSteps(progress, totalSteps, totalPeople);
            }
        }, CancellationToken.None);

        var workers = Enumerable.Range(0, Math.Min(plan.Options.Workers, plan.Sites.Count)).Select(_ => Task.Run(async () =>
        {
            try
            {
                while (queue.TryDequeue(out var site))
                {
                    await RunSiteAsync(services, clock, site, run, trialWide, counters, stop.Token);
                }
            }
            catch
            {
                // One refusal stops every worker: the dataset is only useful whole.
                await stop.CancelAsync();
                throw;
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        catch
        {
            var first = workers.Where(w => w.IsFaulted).SelectMany(w => w.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
            if (first is not null)
            {
                ExceptionDispatchInfo.Capture(first).Throw();
            }

            throw;
        }
        finally
        {
            await reporting.CancelAsync();
            try
            {
                await reporter;
            }
            catch (OperationCanceledException)
            {
            }
        }

        profile?.StopSteps();
        if (progress is not null)
        {
            counters.ReportSteps(progress, totalSteps, totalPeople);
        }
    }

    private static async Task RunSiteAsync(IServiceProvider services, SimulatedClock clock, SitePlan site, RunContext run, Dictionary<Actor, ClaimsPrincipal> trialWide, Counters counters, CancellationToken cancellationToken)
    {
        var actors = new Dictionary<Actor, ClaimsPrincipal>(trialWide)
        {
            [Actor.Coordinator] = await PrincipalAsync(services, ScaleAccounts.Coordinator(site.Site.Code)),
            [Actor.Investigator] = await PrincipalAsync(services, ScaleAccounts.Investigator(site.Site.Code)),
        };
        var siteId = run.SiteIds[site.Site.Code];
        var profile = services.GetService<GenerationProfile>();
        foreach (var person in site.People)
        {
            var participant = new ParticipantRun(siteId, person.Label);
            foreach (var step in person.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var actor = actors[step.Actor];
                await (profile is null
                    ? PlayAsync(services, clock, actor, step, participant, run, cancellationToken)
                    : profile.MeasureAsync(step.Kind, () => PlayAsync(services, clock, actor, step, participant, run, cancellationToken)));
                counters.Done(step.Kind);
            }

            counters.ParticipantDone();
        }
    }

    /// <summary>One step as one request of its actor would run it: a fresh scope, their principal, and the step's moment on the clock.</summary>
    private static async Task PlayAsync(IServiceProvider services, SimulatedClock clock, ClaimsPrincipal actor, Step step, ParticipantRun participant, RunContext run, CancellationToken cancellationToken)
    {
        clock.Now = step.At;
        await using var scope = services.CreateAsyncScope();
        var accessor = scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext { User = actor, RequestServices = scope.ServiceProvider };
        try
        {
            await step.Run(new StepContext(scope.ServiceProvider, participant, run, cancellationToken));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new GenerationStepException($"{participant.Label}, {(participant.Number.Length > 0 ? participant.Number : "not yet registered")}: {step.Kind} at {step.At:yyyy-MM-dd HH:mm} UTC as {actor.Identity?.Name}: {e.Message}", e);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    private static async Task<T> AsAsync<T>(IServiceProvider services, ClaimsPrincipal actor, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = services.CreateAsyncScope();
        var accessor = scope.ServiceProvider.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext { User = actor, RequestServices = scope.ServiceProvider };
        try
        {
            return await work(scope.ServiceProvider);
        }
        finally
        {
            accessor.HttpContext = null;
        }
    }

    private static async Task AsAsync(IServiceProvider services, ClaimsPrincipal actor, Func<IServiceProvider, Task> work) =>
        await AsAsync(services, actor, async s =>
        {
            await work(s);
            return true;
        });

    /// <summary>The principal Identity builds for the user at sign-in (built once per user and reused, as a cookie would carry it).</summary>
    private static async Task<ClaimsPrincipal> PrincipalAsync(IServiceProvider services, string email)
    {
        await using var scope = services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>().FindByEmailAsync(email)
            ?? throw new InvalidOperationException($"No account {email}.");
        return await scope.ServiceProvider.GetRequiredService<SignInManager<ApplicationUser>>().CreateUserPrincipalAsync(user);
    }

    /// <summary>Creates the account if it is missing (a second trial in the same database reuses the trial-wide ones).</summary>
    private static async Task EnsureUserAsync(UserManager<ApplicationUser> users, string email, string name, string role, string password, DateTimeOffset createdAt)
    {
        var user = await users.FindByEmailAsync(email);
        if (user is null)
        {
            user = new ApplicationUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name, CreatedAt = createdAt };
            Check(await users.CreateAsync(user, password));
        }

        if (!await users.IsInRoleAsync(user, role))
        {
            Check(await users.AddToRoleAsync(user, role));
        }
    }

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join("; ", result.Errors.Select(e => e.Description)));
        }
    }

    /// <summary>What the run left in the database, counted there.</summary>
    private static async Task<ScaleSummary> SummarizeAsync(IServiceProvider services, TrialPlan plan, RunContext run, long operations, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        var trialId = run.TrialId;
        var participants = db.Participants.Where(p => p.TrialId == trialId);
        var ids = participants.Select(p => p.Id);
        var visits = db.VisitRecords.Where(v => ids.Contains(v.ParticipantId));
        var finalVisit = plan.Protocol.Visits.OrderBy(v => v.Day).Last().Code;
        return new ScaleSummary(
            plan.Options.TrialCode,
            trialId,
            plan.Sites.Count,
            await participants.CountAsync(p => p.RandomizedAt != null, cancellationToken),
            await participants.CountAsync(p => p.Status == ParticipantStatus.Eligible, cancellationToken),
            await participants.CountAsync(p => p.Status == ParticipantStatus.ScreenFailed, cancellationToken),
            await participants.CountAsync(p => p.Status == ParticipantStatus.Withdrawn, cancellationToken),
            await visits.CountAsync(v => v.VisitCode == finalVisit && v.DoneOn != null, cancellationToken),
            await visits.CountAsync(v => v.DoneOn != null, cancellationToken),
            await visits.CountAsync(v => v.Missed, cancellationToken),
            await db.FormEntries.CountAsync(e => e.TrialId == trialId && e.Status == FormStatus.Complete, cancellationToken),
            await db.AdverseEvents.CountAsync(e => e.TrialId == trialId, cancellationToken),
            await db.AdverseEvents.CountAsync(e => e.TrialId == trialId && db.AdverseEventVersions.Any(v => v.AdverseEventId == e.Id && v.Serious), cancellationToken),
            await db.SafetyAssessments.CountAsync(a => a.TrialId == trialId, cancellationToken),
            await db.DiaryEntries.CountAsync(d => ids.Contains(d.ParticipantId), cancellationToken),
            await db.Dispensings.CountAsync(d => d.TrialId == trialId, cancellationToken),
            await db.DataQueries.CountAsync(q => ids.Contains(q.ParticipantId), cancellationToken),
            await db.Signatures.CountAsync(s => s.TrialId == trialId, cancellationToken),
            await db.BlindingGuesses.CountAsync(g => g.TrialId == trialId, cancellationToken),
            await db.AuditTrail.LongCountAsync(e => e.TrialId == trialId, cancellationToken),
            operations,
            elapsed,
            await db.Database.SqlQuery<long>($"SELECT pg_database_size(current_database()) AS \"Value\"").SingleAsync(cancellationToken));
    }

    /// <summary>Running totals, shared by the workers (interlocked), read by the progress reporter.</summary>
    private sealed class Counters(Stopwatch watch)
    {
        private long _operations;
        private long _forms;
        private long _adverseEvents;
        private int _participants;
        private long _phaseStartOperations;
        private TimeSpan _phaseStart;

        public long Operations => Interlocked.Read(ref _operations);

        public void StartPhase()
        {
            _phaseStart = watch.Elapsed;
            _phaseStartOperations = Operations;
        }

        public void Done(StepKind kind)
        {
            Interlocked.Increment(ref _operations);
            if (kind == StepKind.Form)
            {
                Interlocked.Increment(ref _forms);
            }
            else if (kind == StepKind.ReportAdverseEvent)
            {
                Interlocked.Increment(ref _adverseEvents);
            }
        }

        public void ParticipantDone() => Interlocked.Increment(ref _participants);

        public void Report(IProgress<GenerationProgress>? progress, string phase, long done, long total) =>
            progress?.Report(Snapshot(phase, done, total, 0));

        public void ReportSteps(IProgress<GenerationProgress> progress, long totalSteps, int totalPeople) =>
            progress.Report(Snapshot("participants", Operations - _phaseStartOperations, totalSteps, totalPeople));

        private GenerationProgress Snapshot(string phase, long done, long total, int people)
        {
            var elapsed = watch.Elapsed;
            var phaseSeconds = (elapsed - _phaseStart).TotalSeconds;
            var rate = phaseSeconds > 0 ? (Operations - _phaseStartOperations) / phaseSeconds : 0;
            return new GenerationProgress(phase, done, total, Volatile.Read(ref _participants), people, Interlocked.Read(ref _forms), Interlocked.Read(ref _adverseEvents), Operations, rate, elapsed);
        }
    }
}
