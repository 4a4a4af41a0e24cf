namespace Bms.Firmware.Estimation
{
    /// <summary>
    /// Noise figures of the state-of-charge Kalman filter, in physical terms. One place, shared by the
    /// firmware filter and the host's double-precision reference (tools/Bms.Reference) so both run the same model.
    /// Noise densities are given per second (σ per √s or at a 1 s measurement cadence) and scaled to the actual
    /// step, so the filter behaves the same at any tick rate and across sample gaps.
    /// </summary>
    public static class SocFilterTuning
    {
        /// <summary>Voltage model error at rest, σ per independent sample (see ModelErrorCorrelation_ms) (sensor noise, OCV table, hysteresis).</summary>
        public const int VoltageNoiseRest_uV = 8000;
        /// <summary>Voltage model error under load, σ per independent sample, before the current-proportional part.</summary>
        public const int VoltageNoiseLoad_uV = 12000;
        /// <summary>Uncertain share of the modelled overpotential R0·I + V1 (per mille): resistance tables are
        /// one cell, one ageing state, and ignore the current dependence of charge transfer.</summary>
        public const int OverpotentialUncertainty_permille = 400;

        /// <summary>Model errors (OCV table, resistance) are not white: they persist for minutes. The voltage noise is
        /// therefore stated at this correlation time, so a long rest or a long constant-current phase does not
        /// count as thousands of independent measurements.</summary>
        public const int ModelErrorCorrelation_ms = 30000;

        /// <summary>Random walk of SoC not explained by the current, σ in nano-SoC per √s (self-discharge, noise).</summary>
        public const int SocWalk_nSoC_per_sqrt_s = 5000;
        /// <summary>Coulomb-count error proportional to the throughput (current gain, capacity), per mille of ΔSoC,
        /// applied as a random walk per second.</summary>
        public const int CoulombGainUncertainty_permille = 300;
        /// <summary>Random walk of the polarisation voltage V1, σ in µV per √s.</summary>
        public const int PolarizationWalk_uV_per_sqrt_s = 1000;
        /// <summary>Drift of the current-sensor offset, σ in µA per √h.</summary>
        public const int BiasWalk_uA_per_sqrt_h = 3000;

        /// <summary>Initial σ of SoC when the caller supplies a start value of unknown quality.</summary>
        public const int InitialSocSigmaGiven_pcm = 30000;
        /// <summary>Initial σ of SoC when it comes from the OCV of a rested cell.</summary>
        public const int InitialSocSigmaFromOcv_pcm = 8000;
        /// <summary>Initial σ of SoC when restored from non-volatile storage.</summary>
        public const int InitialSocSigmaPersisted_pcm = 5000;
        /// <summary>Initial σ of V1.</summary>
        public const int InitialPolarizationSigma_uV = 20000;
        /// <summary>Initial σ of the current-sensor offset, in milli-C (per mille of the 1C current).</summary>
        public const int InitialBiasSigma_mC = 10;
        /// <summary>The offset estimate is held within ± this many milli-C (a sensor worse than that is broken).</summary>
        public const int MaxBias_mC = 50;

        /// <summary>A cell counts as resting when |I| stays below this (milli-C) ...</summary>
        public const int RestCurrent_mC = 20;
        /// <summary>... for this long.</summary>
        public const int RestTime_ms = 1800000;
    }
}
