using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Data;
using TrialManager.Web.Data.Audit;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Randomization;

namespace TrialManager.Web.Tests.Infrastructure;

/// <summary>
/// A trial made for randomization tests from the shipped psilocybin protocol, with distinctive arm codes and labels
/// (so a leak check cannot be fooled by ordinary words) and as much kit stock and list length as a test needs.
/// </summary>
public sealed class RandomizationTrial
{
    public const string ActiveCode = "ZXACT";
    public const string ControlCode = "ZXCTL";
    public const string ActiveLabel = "Quillwort active capsule";
    public const string ControlLabel = "Marram control capsule";

    private RandomizationTrial(Guid trialId, string code, Protocol protocol)
    {
        TrialId = trialId;
        Code = code;
        Protocol = protocol;
    }

    public Guid TrialId { get; }

    public string Code { get; }

    public Protocol Protocol { get; }

    public static IReadOnlyList<string> ArmSecrets => [ActiveCode, ControlCode, ActiveLabel, ControlLabel];

    public static string ProtocolText(string code, int kitsPerSite, int slotsPerStratum)
    {
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "protocols", "psilocybin-mdd.yaml"));
        return text
            .Replace("code: PSI-MDD-01", $"code: {code}", StringComparison.Ordinal)
            .Replace("code: PSI\n", $"code: {ActiveCode}\n", StringComparison.Ordinal)
            .Replace("code: PBO\n", $"code: {ControlCode}\n", StringComparison.Ordinal)
            .Replace("blinded_label: Psilocybin 1 mg per capsule (about 0.15 g dried Psilocybe cubensis)", $"blinded_label: {ActiveLabel}", StringComparison.Ordinal)
            .Replace("blinded_label: Placebo capsule, identical in look, weight and taste", $"blinded_label: {ControlLabel}", StringComparison.Ordinal)
            .Replace("arms: [PSI]", $"arms: [{ActiveCode}]", StringComparison.Ordinal)
            .Replace("arms: [PBO]", $"arms: [{ControlCode}]", StringComparison.Ordinal)
            .Replace("initial_stock_per_site: 12", $"initial_stock_per_site: {kitsPerSite}", StringComparison.Ordinal)
            .Replace("resupply_max: 12", $"resupply_max: {kitsPerSite}", StringComparison.Ordinal)
            // The minimum counts kits per arm; a small test stock (two arms) must still start at or above it.
            .Replace("resupply_min: 4", $"resupply_min: {Math.Min(4, (kitsPerSite + 1) / 2)}", StringComparison.Ordinal)
            .Replace("slots_per_stratum: 60", $"slots_per_stratum: {slotsPerStratum}", StringComparison.Ordinal);
    }

    /// <summary>Imports the trial and generates its sealed list and kits (as the administrator, through the operation).</summary>
    public static async Task<RandomizationTrial> CreateAsync(TrialApp app, string code, int kitsPerSite = 20, int slotsPerStratum = 60)
    {
        var text = ProtocolText(code, kitsPerSite, slotsPerStratum);
        var protocol = ProtocolLoader.Load(text, code + ".yaml");
        Assert.True(protocol.Succeeded, string.Join("; ", protocol.Errors));
        Assert.Contains(protocol.Protocol!.Arms, a => a.Code == ActiveCode);
        Assert.Contains(protocol.Protocol.Arms, a => a.BlindedLabel == ControlLabel);

        var trialId = await app.AsUserAsync("admin", async services =>
        {
            var imported = await services.GetRequiredService<ProtocolImporter>().ImportAsync(text, code + ".yaml", new ProtocolImportActor("test", "test"));
            Assert.Equal(ProtocolImportKind.NewTrial, imported.Kind);
            var db = services.GetRequiredService<TrialDbContext>();
            var id = await db.Trials.Where(t => t.Code == code).Select(t => t.Id).SingleAsync();
            var generated = await services.GetRequiredService<GenerateRandomizationList>().ExecuteAsync(id);
            Assert.True(generated.Succeeded, string.Join(" ", generated.Outcome.Errors.SelectMany(e => e.Value)));
            return id;
        });
        return new RandomizationTrial(trialId, code, protocol.Protocol);
    }

    /// <summary>A new trial with <paramref name="count"/> London participants randomized by the London coordinator.</summary>
    public static async Task<(RandomizationTrial Trial, List<Guid> Ids)> CreateRandomizedAsync(TrialApp app, string code, int count)
    {
        var trial = await CreateAsync(app, code);
        var ids = await trial.AddEligibleParticipantsAsync(app, "LON", count);
        foreach (var id in ids)
        {
            Assert.True((await app.AsUserAsync("coordinator", s => s.GetRequiredService<Features.Randomization.RandomizeParticipant>().ExecuteAsync(id))).Succeeded);
        }

        return (trial, ids);
    }

    /// <summary>Wraps a trial created some other way (for example through its pages).</summary>
    public static async Task<RandomizationTrial> CreateFromExistingAsync(TrialApp app, Guid trialId)
    {
        var code = await app.WithDbAsync(db => db.Trials.Where(t => t.Id == trialId).Select(t => t.Code).SingleAsync());
        var protocol = await app.Services.GetRequiredService<TrialProtocols>().CurrentAsync(trialId);
        return new RandomizationTrial(trialId, code, protocol.Protocol);
    }

    /// <summary>Adds consented, eligible participants at a site, with stratification levels chosen in turn.</summary>
    public async Task<List<Guid>> AddEligibleParticipantsAsync(TrialApp app, string siteCode, int count, Func<int, string>? levels = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TrialDbContext>();
        db.AuditActorOverride = AuditActor.System("test setup");
        var siteId = await db.Sites.Where(s => s.Code == siteCode).Select(s => s.Id).SingleAsync();
        var versionId = await db.ProtocolVersions.Where(v => v.TrialId == TrialId).Select(v => v.Id).SingleAsync();
        var existing = await db.Participants.CountAsync(p => p.TrialId == TrialId && p.SiteId == siteId);
        levels ??= i => i % 2 == 0 ? "baseline_severity=moderate" : "baseline_severity=moderately_severe";
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var participant = new Participant
            {
                TrialId = TrialId,
                SiteId = siteId,
                Number = $"{siteCode}-{existing + i + 1:0000}",
                YearOfBirth = 1980 + (i % 30),
                Sex = i % 2 == 0 ? "F" : "M",
                ProtocolVersionId = versionId,
                Status = ParticipantStatus.Eligible,
                ConsentedOn = new DateOnly(2026, 11, 1),
                EligibilityConfirmedAt = DateTimeOffset.UtcNow,
                StratumLevels = levels(existing + i),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            db.Participants.Add(participant);
            ids.Add(participant.Id);
        }

        await db.SaveChangesAsync();
        return ids;
    }
}
