using System;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Events;

namespace Bms.Firmware.Safety
{
    /// <summary>
    /// Settings of the <see cref="ThermalRunawayGuard"/>. Defaults follow GB 38031-2025 annex C.5.3.7 for the
    /// confirmation and leave a wide margin against benign heating for the precursors. Call
    /// <see cref="Validate"/> (the guard does) to refuse settings that would disable a check.
    /// </summary>
    public sealed class ThermalRunawayConfig
    {
        // --- Confirmation (GB 38031-2025 C.5.3.7) ---

        /// <summary>(b) Maximum operating temperature of the cells: the chemistry envelope's
        /// <see cref="SafeOperatingEnvelope.MaxDischargeTemperature_dC"/>.</summary>
        public int MaxOperatingTemperature_dC = 600;

        /// <summary>(a) A cell voltage below its reference by more than this share (per cent) of the reference.</summary>
        public int CellVoltageDrop_pct = 25;

        /// <summary>(a) Time constant of the slowly tracking per-cell reference ("initial value"). Long against a
        /// collapse (seconds), short against normal discharge (hours).</summary>
        public int VoltageReferenceTimeConstant_ms = 120000;

        /// <summary>The reference stops tracking while a cell is this far (per cent of its reference) further below
        /// it than the median cell is below its own, so that a collapse in progress cannot drag its own reference
        /// down while a whole pack under load is still tracked. (With one cell there is no pack to compare.)</summary>
        public int VoltageReferenceFreeze_pct = 10;

        /// <summary>(c) Temperature rate threshold, 0.1 °C per second (10 = 1 °C/s).</summary>
        public int RunawayRate_dC_per_s = 10;

        /// <summary>(c) The rate must hold for more than this long.</summary>
        public int RunawayRateDuration_ms = 3000;

        /// <summary>(c) Samples in the sliding least-squares window of the fast rate (10 at 100 ms = 1 s).</summary>
        public int RateWindowSamples = 10;

        // --- Precursors (Warning) ---

        /// <summary>Length of the slow temperature-rate window, in 1 s buckets.</summary>
        public int PrecursorWindow_s = 60;

        /// <summary>A sensor rising faster than the median of the other sensors by at least this much
        /// (0.1 °C per minute) plus <see cref="PrecursorExcessRatio_pct"/> of that median is a precursor.</summary>
        public int PrecursorExcessRate_dC_per_min = 10;

        /// <summary>Share of the neighbours' (positive) median rate added to the excess threshold, so uniform
        /// heating under heavy load with normal sensor spread does not raise a precursor.</summary>
        public int PrecursorExcessRatio_pct = 50;

        /// <summary>How long a precursor condition must hold before the warning is raised.</summary>
        public int PrecursorSetDelay_ms = 10000;

        /// <summary>How long a precursor condition must be absent before the warning is cleared.</summary>
        public int PrecursorClearDelay_ms = 60000;

        /// <summary>|current| at or below this counts as rest (no load) for the voltage-sag precursor.</summary>
        public int RestCurrent_mA = 100;

        /// <summary>Window of the voltage-sag precursor, in 1 s buckets.</summary>
        public int SagWindow_s = 30;

        /// <summary>A cell dropping this much more than the median cell over <see cref="SagWindow_s"/> at rest
        /// is a precursor.</summary>
        public int SagThreshold_mV = 10;

        /// <summary>Rest must have lasted this long before the sag window starts (relaxation after load).</summary>
        public int SagRestDelay_ms = 60000;

        // --- Sensor plausibility (SensorFault) ---

        /// <summary>Readings at or below this are an open thermistor.</summary>
        public int OpenRail_dC = -400;

        /// <summary>Readings at or above this, reached without a credible rise, are a shorted thermistor.</summary>
        public int ShortRail_dC = 1250;

        /// <summary>Consecutive rail (or impossible-step) samples before a SensorFault is raised.</summary>
        public int RailDebounceSamples = 3;

        /// <summary>How long a channel may be unreadable (Valid = false) before a SensorFault is raised.</summary>
        public int UnreadableDelay_ms = 1000;

        /// <summary>Largest plausible change between two consecutive samples (taken at most
        /// <see cref="StepMaxGap_ms"/> apart).</summary>
        public int MaxStep_dC = 100;

        /// <summary>Samples further apart than this are not checked for steps.</summary>
        public int StepMaxGap_ms = 500;

        /// <summary>A step is credible (real heating) when some cell is at the same time at least this share (per
        /// cent of its reference) further below its voltage reference than the median cell.</summary>
        public int StepVoltageEffect_pct = 10;

        /// <summary>A reading unchanged for this long while a neighbour moved is frozen.</summary>
        public int FrozenTime_ms = 60000;

        /// <summary>How far a neighbour must have moved (net) for an unchanged reading to count as frozen.</summary>
        public int FrozenNeighbourMove_dC = 20;

        /// <summary>A sensor fault is cleared after the channel has been plausible for this long.</summary>
        public int SensorFaultClearDelay_ms = 5000;

        /// <summary>Level of SensorFault events.</summary>
        public ProtectionLevel SensorFaultLevel = ProtectionLevel.Warning;

        /// <summary>Defaults with the maximum operating temperature taken from a chemistry's envelope.</summary>
        public static ThermalRunawayConfig FromEnvelope(SafeOperatingEnvelope envelope)
        {
            if (envelope == null)
            {
                throw new ArgumentNullException("envelope");
            }
            var config = new ThermalRunawayConfig();
            config.MaxOperatingTemperature_dC = envelope.MaxDischargeTemperature_dC;
            return config;
        }

        /// <summary>Defaults with the maximum operating temperature of a chemistry profile.</summary>
        public static ThermalRunawayConfig FromProfile(ChemistryProfile profile)
        {
            if (profile == null)
            {
                throw new ArgumentNullException("profile");
            }
            return FromEnvelope(profile.Envelope);
        }

        /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
        public void Validate()
        {
            Require(CellVoltageDrop_pct > 0 && CellVoltageDrop_pct < 100, "CellVoltageDrop_pct must be 1..99");
            Require(VoltageReferenceTimeConstant_ms >= 1000, "VoltageReferenceTimeConstant_ms must be >= 1000");
            Require(VoltageReferenceFreeze_pct > 0 && VoltageReferenceFreeze_pct <= CellVoltageDrop_pct,
                "VoltageReferenceFreeze_pct must be 1..CellVoltageDrop_pct");
            Require(RunawayRate_dC_per_s > 0, "RunawayRate_dC_per_s must be > 0");
            Require(RunawayRateDuration_ms >= 0, "RunawayRateDuration_ms must be >= 0");
            Require(RateWindowSamples >= 3 && RateWindowSamples <= 100, "RateWindowSamples must be 3..100");
            Require(PrecursorWindow_s >= 10 && PrecursorWindow_s <= 600, "PrecursorWindow_s must be 10..600");
            Require(PrecursorExcessRate_dC_per_min > 0, "PrecursorExcessRate_dC_per_min must be > 0");
            Require(PrecursorExcessRatio_pct >= 0, "PrecursorExcessRatio_pct must be >= 0");
            Require(PrecursorSetDelay_ms >= 0 && PrecursorClearDelay_ms >= 0, "precursor delays must be >= 0");
            Require(RestCurrent_mA >= 0, "RestCurrent_mA must be >= 0");
            Require(SagWindow_s >= 2 && SagWindow_s <= 600, "SagWindow_s must be 2..600");
            Require(SagThreshold_mV > 0, "SagThreshold_mV must be > 0");
            Require(SagRestDelay_ms >= 0, "SagRestDelay_ms must be >= 0");
            Require(OpenRail_dC < MaxOperatingTemperature_dC && MaxOperatingTemperature_dC < ShortRail_dC,
                "OpenRail_dC < MaxOperatingTemperature_dC < ShortRail_dC is required");
            Require(RailDebounceSamples >= 1, "RailDebounceSamples must be >= 1");
            Require(UnreadableDelay_ms >= 0, "UnreadableDelay_ms must be >= 0");
            Require(MaxStep_dC > 0 && StepMaxGap_ms > 0, "MaxStep_dC and StepMaxGap_ms must be > 0");
            Require(StepVoltageEffect_pct > 0 && StepVoltageEffect_pct < 100, "StepVoltageEffect_pct must be 1..99");
            Require(FrozenTime_ms > 0 && FrozenNeighbourMove_dC > 0, "FrozenTime_ms and FrozenNeighbourMove_dC must be > 0");
            Require(SensorFaultClearDelay_ms >= 0, "SensorFaultClearDelay_ms must be >= 0");
        }

        private static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException("ThermalRunawayConfig: " + message);
            }
        }
    }
}
