using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TrialManager.Documents;
using TrialManager.Domain.Blinding;
using TrialManager.Domain.Protocols;
using TrialManager.Web.Authorization;
using TrialManager.Web.Data;
using TrialManager.Web.Features.Participants;
using TrialManager.Web.Features.Protocols;
using TrialManager.Web.Features.Unblinding;

namespace TrialManager.Web.Features.Blinding;

/// <summary>The indices of one group of answers (one respondent kind at one visit, or pooled over visits).</summary>
public sealed record BlindingGroup(BlindingRespondent Respondent, string? VisitCode, BlindingSummary Summary);

/// <summary>Mean of the primary score among those who guessed each way, beside the same by true arm.</summary>
public sealed record OutcomeByGuess(string VisitCode, string ScoreLabel, IReadOnlyList<(string Label, int N, double? Mean)> ByGuess, IReadOnlyList<(string Label, int N, double? Mean)> ByTrueArm);

public sealed record BlindingReport(string TrialCode, IReadOnlyList<BlindingGuess> Guesses, IReadOnlyList<BlindingGroup> Groups, IReadOnlyList<OutcomeByGuess> Outcomes, int Answers);

/// <summary>
/// Whether the blind held: Bang's and James' indices (TrialManager.Domain/Blinding, with its README) from the guesses
/// against the true arms, for unblinded roles only, by respondent kind and visit, with the primary outcome by guessed
/// arm beside the outcome by true arm. Reading it is audited; it is never shown to anyone blinded.
/// </summary>
public sealed class BlindingResults(TrialDbContext db, Allocations allocations, TrialProtocols protocols, CurrentUser me)
{
    /// <summary>The report for a trial, its view audited; null when there is no such trial.</summary>
    public async Task<BlindingReport?> ViewAsync(string trialCode, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Unblinded);
        var trialId = await db.Trials.Where(t => t.Code == trialCode).Select(t => (Guid?)t.Id).SingleOrDefaultAsync(cancellationToken);
        if (trialId is not { } id)
        {
            return null;
        }

        db.AuditAction("ViewBlindingIndices", nameof(Trial), id.ToString(), new { Report = "Blinding indices" }, id);
        await db.SaveChangesAsync(cancellationToken);
        return await ComputeAsync(id, cancellationToken: cancellationToken);
    }

    /// <summary>For callers that already checked unblinded access and audit their own view (the DSMB closed report).</summary>
    /// <param name="openedArms">Arms by participant the caller has already opened (the closed report), so they are not opened twice.</param>
    public async Task<BlindingReport> ComputeAsync(Guid trialId, IReadOnlyDictionary<Guid, string>? openedArms = null, CancellationToken cancellationToken = default)
    {
        await me.DemandAsync(Policies.Unblinded);
        var (_, protocol) = await protocols.CurrentAsync(trialId, cancellationToken);
        var code = await db.Trials.Where(t => t.Id == trialId).Select(t => t.Code).SingleAsync(cancellationToken);
        var guesses = await db.BlindingGuesses.AsNoTracking().Where(g => g.TrialId == trialId).ToListAsync(cancellationToken);
        if (guesses.Count == 0)
        {
            return new BlindingReport(code, protocol.BlindingAssessment.Guesses, [], [], 0);
        }

        var arms = openedArms ?? await allocations.ArmsByParticipantAsync(trialId, cancellationToken);
        var answers = guesses.Where(g => arms.ContainsKey(g.ParticipantId)).Select(g => (Record: g, Arm: arms[g.ParticipantId])).ToList();
        var primary = protocol.Forms.SelectMany(f => f.Scores.Select(s => (Form: f, Score: s))).FirstOrDefault();
        var scores = primary.Form is null
            ? []
            : (await db.FormEntries.AsNoTracking().Where(e => e.TrialId == trialId && e.FormCode == primary.Form.Code && e.Status == FormStatus.Complete)
                .Select(e => new { e.ParticipantId, e.VisitCode, e.ScoresJson }).ToListAsync(cancellationToken))
                .Select(e => (e.ParticipantId, e.VisitCode, Score: StoredScores.Read(e.ScoresJson).GetValueOrDefault(primary.Score.Code)))
                .Where(e => e.Score is not null)
                .ToDictionary(e => (e.ParticipantId, e.VisitCode), e => (double)e.Score!.Total);
        return Compute(code, protocol, answers, scores, primary.Score?.Label);
    }

    /// <summary>The pure part: groups, indices and outcome-by-guess from answers whose true arms are known.</summary>
    public static BlindingReport Compute(
        string trialCode,
        Protocol protocol,
        IReadOnlyList<(BlindingGuessRecord Record, string Arm)> answers,
        IReadOnlyDictionary<(Guid ParticipantId, string VisitCode), double> primaryScores,
        string? primaryLabel)
    {
        var assessment = protocol.BlindingAssessment;
        var groups = new List<BlindingGroup>();
        foreach (var respondent in assessment.Respondents)
        {
            foreach (var visit in assessment.Visits)
            {
                var set = answers.Where(a => a.Record.Respondent == respondent && a.Record.VisitCode == visit).ToList();
                if (set.Count > 0)
                {
                    groups.Add(new BlindingGroup(respondent, visit, BlindingSummary.Of(BlindingTable.FromProtocolGuesses(assessment.Guesses, set.Select(a => (a.Arm, a.Record.GuessCode))))));
                }
            }
        }

        var outcomes = new List<OutcomeByGuess>();
        if (primaryLabel is not null)
        {
            foreach (var visit in assessment.Visits)
            {
                var own = answers.Where(a => a.Record.Respondent == BlindingRespondent.Participant && a.Record.VisitCode == visit && primaryScores.ContainsKey((a.Record.ParticipantId, visit))).ToList();
                if (own.Count == 0)
                {
                    continue;
                }

                double Score((BlindingGuessRecord Record, string Arm) a) => primaryScores[(a.Record.ParticipantId, visit)];
                var byGuess = assessment.Guesses.Select(g => Summarise(g.Label, own.Where(a => a.Record.GuessCode == g.Code).Select(Score))).ToList();
                var byArm = protocol.Arms.Select(arm => Summarise(arm.BlindedLabel, own.Where(a => a.Arm == arm.Code).Select(Score))).ToList();
                outcomes.Add(new OutcomeByGuess(visit, primaryLabel, byGuess, byArm));
            }
        }

        return new BlindingReport(trialCode, assessment.Guesses, groups, outcomes, answers.Count);
    }

    private static (string Label, int N, double? Mean) Summarise(string label, IEnumerable<double> values)
    {
        var list = values.ToList();
        return (label, list.Count, list.Count == 0 ? null : list.Average());
    }

    /// <summary>The report as document blocks: the page renders them as HTML, the PDFs (its own and the DSMB's) draw them.</summary>
    public static IReadOnlyList<Block> Blocks(BlindingReport report)
    {
        var blocks = new List<Block>
        {
            new Heading("Blinding integrity"),
            new Paragraph(
                "Bang's index per arm: (correct − incorrect) / all answers of that arm, from −1 (all guessed the other arm) through 0 (random guessing) to 1 (all guessed their own arm); " +
                "above 0.2 or below −0.2 is flagged. James' index for the trial: 0 is complete unblinding, 0.5 random guessing, 1 complete blinding; an upper 95% limit below 0.5 is flagged. " +
                "Answers of one respondent kind at one visit form one table; answers at several visits are not independent and are not pooled.")
            { Small = true },
        };
        if (report.Answers == 0)
        {
            blocks.Add(new Paragraph("No blinding assessment has been recorded yet."));
            return blocks;
        }

        var labels = report.Guesses.ToDictionary(g => g.Code, g => g.Label, StringComparer.Ordinal);
        foreach (var group in report.Groups)
        {
            var s = group.Summary;
            var title = $"{RecordBlindingGuess.RespondentLabels[group.Respondent]}s at {group.VisitCode}";
            var rows = s.Bang.Select(b => new TableRow(
                labels.GetValueOrDefault(b.Arm, b.Arm),
                N(b.N), N(b.Correct), N(b.Incorrect), N(b.DontKnow),
                Estimate(b.Estimate),
                b.Flag is { } flag ? BlindingFlags.Describe(flag) : "")).ToList();
            rows.Add(new TableRow("Whole trial (James)", N(s.James.N), "", "", N(s.James.DontKnow), Estimate(s.James.Estimate), s.James.Flag is { } jf ? BlindingFlags.Describe(jf) : s.James.Estimate is null ? "Not defined for these answers" : "") { Bold = true });
            blocks.Add(new KeepTogether(
                new Heading(title, 2),
                new Table(
                    [new TableColumn("True arm", 2), new TableColumn("n", 0.6, CellAlignment.Right), new TableColumn("Correct", 0.8, CellAlignment.Right), new TableColumn("Incorrect", 0.9, CellAlignment.Right),
                     new TableColumn("Don't know", 0.9, CellAlignment.Right), new TableColumn("Index (95% CI)", 2), new TableColumn("Flag", 2.4)],
                    rows)
                { Compact = true },
                new BarChart([.. s.Bang.Where(b => b.Estimate is not null).Select(b => new BarChartItem(labels.GetValueOrDefault(b.Arm, b.Arm), Math.Abs(b.Estimate!.Value), Fixed(b.Estimate.Value)))])
                { Title = "Bang's index by true arm (bar length is its size; the label shows its sign)", Maximum = 1 }));
        }

        foreach (var outcome in report.Outcomes)
        {
            blocks.Add(new KeepTogether(
                new Heading($"{outcome.ScoreLabel} at {outcome.VisitCode}: by the participant's guess and by true arm", 2),
                new Table(
                    [new TableColumn("Group", 3), new TableColumn("n", 0.7, CellAlignment.Right), new TableColumn("Mean", 1, CellAlignment.Right)],
                    [.. outcome.ByGuess.Select(g => new TableRow($"Guessed: {g.Label}", N(g.N), Mean(g.Mean))),
                     .. outcome.ByTrueArm.Select(a => new TableRow($"True arm: {a.Label}", N(a.N), Mean(a.Mean)) { Bold = true })])
                { Compact = true }));
        }

        return blocks;
    }

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Fixed(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Mean(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) : "";

    private static string Estimate(IndexEstimate? e) =>
        e is null ? "Not defined" : $"{Fixed(e.Value)} ({Fixed(e.ClippedLower)} to {Fixed(e.ClippedUpper)})";
}
