using System.Text.Json.Serialization;

namespace TrialManager.Domain.Protocols;

/// <summary>Stratified permuted blocks: one list per stratum (site, if stratified by site, times factor levels).</summary>
public sealed record RandomizationScheme(
    bool StratifyBySite,
    IReadOnlyList<int> BlockSizes,
    int SlotsPerStratum,
    IReadOnlyList<StratificationFactor> Factors);

public sealed record StratificationFactor(
    string Code,
    string Label,
    StratificationSource Source,
    IReadOnlyList<StratificationLevel> Levels)
{
    /// <summary>
    /// The level a participant falls in, given the value read from the factor's source (an answer code, an
    /// attribute value or a score band code); null when no level takes that value.
    /// </summary>
    public StratificationLevel? LevelFor(string sourceValue) =>
        Levels.FirstOrDefault(l => l.Values.Contains(sourceValue, StringComparer.Ordinal));
}

/// <summary>A stratum level and the source values that put a participant in it.</summary>
public sealed record StratificationLevel(string Code, string Label, IReadOnlyList<string> Values);

/// <summary>Where a stratification factor's value comes from.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "source")]
[JsonDerivedType(typeof(ScreeningQuestionSource), "screening_question")]
[JsonDerivedType(typeof(ParticipantAttributeSource), "participant_attribute")]
[JsonDerivedType(typeof(DerivedScoreSource), "derived_score")]
public abstract record StratificationSource;

/// <summary>The answer to an eligibility question (yes/no or choice); level values are answer codes.</summary>
public sealed record ScreeningQuestionSource(string CriterionCode) : StratificationSource;

/// <summary>A fact recorded at registration (see <see cref="ParticipantAttributes"/>); level values are its values.</summary>
public sealed record ParticipantAttributeSource(string Attribute) : StratificationSource;

/// <summary>A derived score on a form collected before randomization; level values are the score's band codes.</summary>
public sealed record DerivedScoreSource(string FormCode, string ScoreCode) : StratificationSource;

/// <summary>The participant facts a protocol may stratify on, and the values each can take.</summary>
public static class ParticipantAttributes
{
    public const string Sex = "sex";

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Values { get; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            [Sex] = ["female", "male"],
        };
}
