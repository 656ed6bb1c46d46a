using TrialManager.Domain.Protocols;
using TrialManager.Domain.Randomization;

namespace TrialManager.Domain.Participants;

/// <summary>The stratum levels found at screening, or the factors that could not be determined yet.</summary>
public sealed record StratificationOutcome(IReadOnlyList<StratumLevel> Levels, IReadOnlyList<string> Missing)
{
    public bool IsComplete => Missing.Count == 0;
}

/// <summary>
/// Works out a participant's stratification levels at screening from where the protocol says each factor comes from:
/// a participant attribute (e.g. sex), an eligibility answer, or the band of a score on a form collected before
/// randomization (e.g. baseline depression severity).
/// </summary>
public static class StratificationCapture
{
    public static StratificationOutcome Capture(
        Protocol protocol,
        IReadOnlyDictionary<string, string> attributes,
        IReadOnlyDictionary<string, string?> eligibilityAnswers,
        IReadOnlyDictionary<(string Form, string Score), string> scoreBands)
    {
        var levels = new List<StratumLevel>();
        var missing = new List<string>();
        foreach (var factor in protocol.Randomization.Factors)
        {
            var value = factor.Source switch
            {
                ParticipantAttributeSource a => attributes.GetValueOrDefault(a.Attribute),
                ScreeningQuestionSource q => eligibilityAnswers.GetValueOrDefault(q.CriterionCode),
                DerivedScoreSource s => scoreBands.GetValueOrDefault((s.FormCode, s.ScoreCode)),
                _ => null,
            };
            var level = value is null ? null : factor.LevelFor(value);
            if (level is null)
            {
                missing.Add(factor.Label);
            }
            else
            {
                levels.Add(new StratumLevel(factor.Code, level.Code));
            }
        }

        return new StratificationOutcome(levels, missing);
    }
}
