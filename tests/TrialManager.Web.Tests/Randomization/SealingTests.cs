using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Randomization;
using TrialManager.Web.Sealing;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Randomization;

/// <summary>Someone with the whole database but not the master key learns no arm, and cannot alter sealed rows unnoticed.</summary>
public class SealingTests(TrialApp app) : IClassFixture<TrialApp>
{
    private static int _trials;

    private async Task<RandomizationTrial> RandomizedTrialAsync(int participants)
    {
        var trial = await RandomizationTrial.CreateAsync(app, $"SEAL-{Interlocked.Increment(ref _trials):00}", kitsPerSite: 30);
        foreach (var id in await trial.AddEligibleParticipantsAsync(app, "LON", participants))
        {
            var result = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
            Assert.True(result.Succeeded);
        }

        return trial;
    }

    private Task<string> PgDumpAsync() =>
        PostgresTools.RunAsync("pg_dump", app.ConnectionString, "-d", new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!, "--no-owner");

    [Fact]
    public async Task A_full_database_dump_holds_no_arm_code_or_label_in_clear()
    {
        var trial = await RandomizedTrialAsync(12);
        var dump = await PgDumpAsync();

        Assert.Contains(trial.Code, dump, StringComparison.Ordinal);
        Assert.Contains("R0012", dump, StringComparison.Ordinal);
        foreach (var secret in RandomizationTrial.ArmSecrets)
        {
            Assert.DoesNotContain(secret, dump, StringComparison.OrdinalIgnoreCase);
        }

        // Nor the shipped demo protocol's arm labels, nor its block sizes' key.
        Assert.DoesNotContain("Placebo capsule", dump, StringComparison.Ordinal);
        Assert.DoesNotContain("block_sizes", dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Equal_arms_never_give_equal_ciphertexts_and_all_sealed_arms_have_one_length()
    {
        var trial = await RandomizedTrialAsync(4);
        var slots = await app.WithDbAsync(db => db.RandomizationSlots.Where(s => s.TrialId == trial.TrialId).Select(s => s.SealedArm).ToListAsync());
        var kits = await app.WithDbAsync(db => db.Kits.Where(k => k.TrialId == trial.TrialId).Select(k => k.SealedArm).ToListAsync());
        var all = slots.Concat(kits).ToList();

        Assert.True(slots.Count >= 240 && kits.Count >= 60);
        Assert.Equal(all.Count, all.Select(Convert.ToHexString).Distinct().Count());
        Assert.Equal(all.Count, all.Select(c => Convert.ToHexString(c, 0, Sealer.NonceSize)).Distinct().Count());
        Assert.Single(all.Select(c => c.Length).Distinct());
    }

    [Fact]
    public async Task An_altered_or_moved_slot_is_detected_by_verification_and_stops_randomization()
    {
        var trial = await RandomizedTrialAsync(2);
        var verifier = app.Services.GetRequiredService<ListVerifier>();
        Assert.True((await verifier.VerifyAsync(trial.TrialId)).Verified);

        // Swap the sealed arms of the next unused slots of the two strata (what a reader of the dump might try).
        var next = await app.WithDbAsync(db => db.RandomizationSlots.Where(s => s.TrialId == trial.TrialId && s.ParticipantId == null && s.Number == 2 && s.StratumKey.StartsWith("LON|")).ToListAsync());
        Assert.Equal(2, next.Count);
        var server = await PostgresServer.GetAsync();
        var database = new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!;
        await server.ExecuteAsync($"""
            UPDATE "RandomizationSlots" SET "SealedArm" = CASE "Id" WHEN '{next[0].Id}' THEN '\x{Convert.ToHexString(next[1].SealedArm)}'::bytea ELSE '\x{Convert.ToHexString(next[0].SealedArm)}'::bytea END
            WHERE "Id" IN ('{next[0].Id}', '{next[1].Id}')
            """, database);

        var report = await verifier.VerifyAsync(trial.TrialId);
        Assert.False(report.Verified);
        Assert.Contains("integrity check", report.Message, StringComparison.Ordinal);

        var id = (await trial.AddEligibleParticipantsAsync(app, "LON", 1, _ => next[0].StratumKey.Split('|')[1])).Single();
        var result = await app.AsUserAsync("coordinator", s => s.GetRequiredService<RandomizeParticipant>().ExecuteAsync(id));
        Assert.False(result.Succeeded);
        Assert.Equal(KitStock.SealBrokenMessage, result.Outcome.Errors[""].Single());
        Assert.Equal(ParticipantStatus.Eligible, await app.WithDbAsync(db => db.Participants.Where(p => p.Id == id).Select(p => p.Status).SingleAsync()));
    }

    [Fact]
    public async Task A_changed_commitment_is_detected()
    {
        var trial = await RandomizedTrialAsync(1);
        var server = await PostgresServer.GetAsync();
        var database = new NpgsqlConnectionStringBuilder(app.ConnectionString).Database!;
        await server.ExecuteAsync($"""UPDATE "RandomizationLists" SET "Commitment" = repeat('a', 64) WHERE "TrialId" = '{trial.TrialId}'""", database);

        var report = await app.Services.GetRequiredService<ListVerifier>().VerifyAsync(trial.TrialId);
        Assert.False(report.Verified);
        Assert.Contains("commitment", report.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_master_key_opens_nothing()
    {
        var trial = await RandomizedTrialAsync(1);
        var slot = await app.WithDbAsync(db => db.RandomizationSlots.FirstAsync(s => s.TrialId == trial.TrialId));
        var otherKey = new MasterKey(Convert.FromBase64String(MasterKey.NewBase64()));
        var stranger = new Sealer(otherKey, app.Services.GetRequiredService<IDbContextFactory<TrialDbContext>>());

        var e = await Assert.ThrowsAsync<SealBrokenException>(() => stranger.OpenArmAsync(trial.TrialId, GenerateRandomizationList.SlotArm, slot.Id, slot.SealedArm));
        Assert.Contains("master key", e.Message, StringComparison.Ordinal);
    }
}
