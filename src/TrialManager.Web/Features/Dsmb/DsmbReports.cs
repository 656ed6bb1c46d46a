using System.Globalization;
using TrialManager.Domain.Participants;
using TrialManager.Domain.Protocols;

namespace TrialManager.Web.Features.Dsmb;

/// <summary>
/// Computes the DSMB reports from their data alone (no database, no clock): the closed report by arm, the open one
/// pooled. Both count every randomized participant, so the open report's numbers are the closed report's totals (unless
/// an allocation is missing, which the closed report states). The open computation never receives an allocation, so it
/// cannot split anything by arm.
/// </summary>
public static class DsmbReports
{
    public const string TotalLabel = "Total";
    public const string PooledLabel = "All randomized";

    public static DsmbReport Closed(DsmbData data, IReadOnlyList<Arm> arms, IReadOnlyDictionary<Guid, string> armByParticipant)
    {
        // Arms as the protocol in force names them; an allocation to a code it no longer lists still gets a column.
        var columnArms = arms.ToList();
        foreach (var code in armByParticipant.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (columnArms.All(a => a.Code != code))
            {
                columnArms.Add(new Arm(code, code, 0));
            }
        }

        var index = columnArms.Select((a, i) => (a.Code, i)).ToDictionary(x => x.Code, x => x.i, StringComparer.Ordinal);
        var randomized = Randomized(data);
        var population = randomized.Where(p => armByParticipant.ContainsKey(p.Id)).ToList();
        List<DsmbColumn> groups = [.. columnArms.Select(a => new DsmbColumn(a.BlindedLabel, a.Code)), new DsmbColumn(TotalLabel)];
        int[] GroupsOf(DsmbParticipant p) => [index[armByParticipant[p.Id]], columnArms.Count];
        return Compute(DsmbReportKind.Closed, data, columnArms, groups, population, GroupsOf, groups, GroupsOf, randomized.Count - population.Count);
    }

    public static DsmbReport Open(DsmbData data)
    {
        var population = Randomized(data);
        var sites = data.SiteCodes.Concat(population.Select(p => p.SiteCode)).Distinct(StringComparer.Ordinal).ToList();
        var siteIndex = sites.Select((s, i) => (s, i)).ToDictionary(x => x.s, x => x.i, StringComparer.Ordinal);
        List<DsmbColumn> enrolmentColumns = [.. sites.Select(s => new DsmbColumn(s)), new DsmbColumn(TotalLabel)];
        return Compute(
            DsmbReportKind.Open, data, [], [new DsmbColumn(PooledLabel)], population, _ => [0],
            enrolmentColumns, p => [siteIndex[p.SiteCode], sites.Count], 0);
    }

    private static List<DsmbParticipant> Randomized(DsmbData data) => [.. data.Participants.Where(p => p.RandomizedAt is not null)];

    private static DsmbReport Compute(
        DsmbReportKind kind,
        DsmbData data,
        IReadOnlyList<Arm> arms,
        List<DsmbColumn> groups,
        IReadOnlyList<DsmbParticipant> population,
        Func<DsmbParticipant, int[]> groupsOf,
        IReadOnlyList<DsmbColumn> enrolmentColumns,
        Func<DsmbParticipant, int[]> enrolmentColumnsOf,
        int unallocated)
    {
        var members = new List<DsmbParticipant>[groups.Count];
        for (var g = 0; g < groups.Count; g++)
        {
            members[g] = [];
        }

        foreach (var participant in population)
        {
            foreach (var g in groupsOf(participant))
            {
                members[g].Add(participant);
            }
        }

        return new DsmbReport(
            kind,
            data.TrialCode,
            data.TrialTitle,
            data.ProtocolVersion,
            data.AsOf,
            data.ListGenerated,
            data.Participants.Count(p => p.ConsentedOn is not null),
            arms,
            groups,
            Enrolment(data, population, enrolmentColumns, enrolmentColumnsOf),
            [.. members.Select(Exposure)],
            Safety(data.Events, members),
            Scores(data, members),
            [.. members.Select(Disposition)],
            unallocated);
    }

    /// <summary>Months from the first consent or randomization to the last, gaps filled, so the cumulative columns read as a curve.</summary>
    private static DsmbEnrolment Enrolment(DsmbData data, IReadOnlyList<DsmbParticipant> population, IReadOnlyList<DsmbColumn> columns, Func<DsmbParticipant, int[]> columnsOf)
    {
        var consented = data.Participants.Where(p => p.ConsentedOn is not null).GroupBy(p => Month(p.ConsentedOn!.Value)).ToDictionary(g => g.Key, g => g.Count());
        var randomized = population.GroupBy(p => Month(DateOnly.FromDateTime(p.RandomizedAt!.Value.UtcDateTime))).ToDictionary(g => g.Key, g => g.ToList());
        var all = consented.Keys.Concat(randomized.Keys).ToList();
        if (all.Count == 0)
        {
            return new DsmbEnrolment(columns, []);
        }

        var months = new List<DsmbEnrolmentMonth>();
        var cumulative = new int[columns.Count];
        for (var month = all.Min(); month <= all.Max(); month = month.AddMonths(1))
        {
            var added = new int[columns.Count];
            foreach (var participant in randomized.GetValueOrDefault(month) ?? [])
            {
                foreach (var c in columnsOf(participant))
                {
                    added[c]++;
                    cumulative[c]++;
                }
            }

            months.Add(new DsmbEnrolmentMonth(month.ToString("yyyy-MM", CultureInfo.InvariantCulture), consented.GetValueOrDefault(month), added, [.. cumulative]));
        }

        return new DsmbEnrolment(columns, months);
    }

    private static DateOnly Month(DateOnly date) => new(date.Year, date.Month, 1);

    /// <summary>Diary adherence per participant exactly as the participant page computes it, then averaged over those with doses due.</summary>
    private static DsmbExposure Exposure(IReadOnlyList<DsmbParticipant> members)
    {
        var adherence = members.Select(p => Adherence.FromDiary(p.Regimen, p.StudyDay ?? 0, p.Diary)).ToList();
        var rates = adherence.Where(a => a.Rate is not null).Select(a => a.Rate!.Value).ToList();
        return new DsmbExposure(
            members.Count,
            members.Sum(p => p.KitsDispensed),
            rates.Count,
            rates.Count == 0 ? null : rates.Average(),
            adherence.Count(a => a.BelowThreshold),
            adherence.Sum(a => a.ExtraDoses));
    }

    private static DsmbSafety Safety(IReadOnlyList<DsmbEvent> events, IReadOnlyList<DsmbParticipant>[] members)
    {
        var byParticipant = events.ToLookup(e => e.ParticipantId);
        var groups = members.Select(group =>
        {
            var groupEvents = group.SelectMany(p => byParticipant[p.Id]).ToList();
            return new DsmbSafetyGroup(
                Count(groupEvents),
                Count([.. groupEvents.Where(e => e.Serious)]),
                [.. Enumerable.Range(1, DsmbReport.Grades).Select(grade => Count([.. groupEvents.Where(e => e.Grade == grade)]))]);
        }).ToList();

        // Terms are grouped without regard to case or surrounding space, as sites type them; the first spelling is shown.
        // Each event is counted in its participant's groups in one pass (the counts do not depend on order).
        var groupsOf = new Dictionary<Guid, List<int>>();
        for (var g = 0; g < members.Length; g++)
        {
            foreach (var participant in members[g])
            {
                if (!groupsOf.TryGetValue(participant.Id, out var memberOf))
                {
                    groupsOf[participant.Id] = memberOf = [];
                }

                memberOf.Add(g);
            }
        }

        var terms = events.Where(e => groupsOf.ContainsKey(e.ParticipantId))
            .GroupBy(e => e.Term.Trim(), StringComparer.OrdinalIgnoreCase)
            .Select(term =>
            {
                var byGroup = new List<DsmbEvent>[members.Length];
                for (var g = 0; g < members.Length; g++)
                {
                    byGroup[g] = [];
                }

                foreach (var e in term)
                {
                    foreach (var g in groupsOf[e.ParticipantId])
                    {
                        byGroup[g].Add(e);
                    }
                }

                return new DsmbTermRow(term.Key, [.. byGroup.Select(Count)]);
            })
            .OrderByDescending(row => row.Groups[^1].Events)
            .ThenBy(row => row.Term, StringComparer.OrdinalIgnoreCase)
            .ToList();
        return new DsmbSafety(groups, terms);
    }

    private static DsmbCount Count(List<DsmbEvent> events) => new(events.Count, events.Select(e => e.ParticipantId).Distinct().Count());

    /// <summary>
    /// Every derived score of the protocol's forms, in protocol order: the first score of the first form with scores is
    /// the primary outcome. Baseline is the value at the randomization visit, or else the latest screening value.
    /// </summary>
    private static List<DsmbScoreSummary> Scores(DsmbData data, IReadOnlyList<DsmbParticipant>[] members)
    {
        var summaries = new List<DsmbScoreSummary>();
        foreach (var form in data.Forms.Where(f => f.Scores.Count > 0))
        {
            var visits = data.Visits.Where(v => v.Forms.Contains(form.Code, StringComparer.Ordinal)).ToList();
            var baselineVisits = visits.Where(v => v.Kind == VisitKind.Randomization)
                .Concat(visits.Where(v => v.Kind == VisitKind.Screening).Reverse())
                .Select(v => v.Code)
                .ToList();
            foreach (var score in form.Scores)
            {
                // Per visit, each participant's value (the last stored wins); looked up per member so every cell's
                // values keep the members' order, and each participant's baseline is found once.
                var values = new Dictionary<string, Dictionary<Guid, int>>(StringComparer.Ordinal);
                foreach (var s in data.Scores.Where(s => s.FormCode == form.Code && s.ScoreCode == score.Code))
                {
                    if (!values.TryGetValue(s.VisitCode, out var atVisit))
                    {
                        values[s.VisitCode] = atVisit = [];
                    }

                    atVisit[s.ParticipantId] = s.Total;
                }

                var baselines = new Dictionary<Guid, int?>();
                int? Baseline(Guid id)
                {
                    if (!baselines.TryGetValue(id, out var baseline))
                    {
                        baseline = null;
                        foreach (var code in baselineVisits)
                        {
                            if (values.TryGetValue(code, out var atVisit) && atVisit.TryGetValue(id, out var total))
                            {
                                baseline = total;
                                break;
                            }
                        }

                        baselines[id] = baseline;
                    }

                    return baseline;
                }

                var rows = visits.Select(visit =>
                {
                    var postBaseline = visit.Kind is VisitKind.Treatment or VisitKind.FollowUp;
                    var atVisit = values.GetValueOrDefault(visit.Code) ?? [];
                    return new DsmbScoreVisit(visit.Code, visit.Name, postBaseline, [.. members.Select(group =>
                    {
                        var observed = new List<double>();
                        var change = new List<double>();
                        foreach (var p in group)
                        {
                            if (!atVisit.TryGetValue(p.Id, out var value))
                            {
                                continue;
                            }

                            observed.Add(value);
                            if (postBaseline && Baseline(p.Id) is { } baseline)
                            {
                                change.Add(value - baseline);
                            }
                        }

                        return new DsmbScoreCell(Stats(observed), Stats(change));
                    })]);
                }).ToList();
                summaries.Add(new DsmbScoreSummary(form.Code, form.Title, score.Code, score.Label, summaries.Count == 0, rows));
            }
        }

        return summaries;
    }

    public static DsmbStats Stats(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return new DsmbStats(0, null, null);
        }

        var mean = values.Average();
        double? sd = values.Count < 2 ? null : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new DsmbStats(values.Count, mean, sd);
    }

    private static DsmbDisposition Disposition(IReadOnlyList<DsmbParticipant> members) => new(
        members.Count,
        members.Count(p => p.DrugDiscontinuedOn is not null),
        members.Count(p => p.WithdrawnOn is not null),
        members.Count(p => p.WithdrawnOn is not null && p.ConsentWithdrawn),
        members.Count(p => p.WithdrawnOn is not null && p.LostToFollowUp));
}
