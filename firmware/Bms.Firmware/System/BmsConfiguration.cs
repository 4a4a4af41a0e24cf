using Bms.Firmware.Balancing;
using Bms.Firmware.Chemistry;
using Bms.Firmware.Contactors;
using Bms.Firmware.Limits;
using Bms.Firmware.Protection;
using Bms.Firmware.Safety;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// What a pack is: chemistry, size, sensor mapping, and optional overrides of the derived settings. Every
    /// override is validated against the chemistry's envelope by <see cref="Validate"/> (the
    /// <see cref="BmsSystem"/> constructor calls it and refuses the configuration with the reason).
    /// </summary>
    public sealed class BmsConfiguration
    {
        /// <summary>The chemistry profile (ChemistryProfiles.FromName). Required.</summary>
        public ChemistryProfile Chemistry;
        /// <summary>Series cells; must equal the monitor's CellCount.</summary>
        public int CellCount;
        /// <summary>Temperature channels used (snapshot size); at most the monitor's TemperatureCount.</summary>
        public int TemperatureCount;
        /// <summary>Capacity of one series element (parallel group), mAh.</summary>
        public int Capacity_mAh;
        /// <summary>Initial state of charge; -1 = from the persisted record, else from the OCV.</summary>
        public int InitialSoc_pcm = -1;
        /// <summary>For each snapshot temperature, the AFE temperature channel it comes from; null = 0, 1, 2, ...</summary>
        public int[] TemperatureChannel;
        /// <summary>For each snapshot temperature, the cell it sits on (0-based), -1 = not on a cell; null = unknown.</summary>
        public int[] TemperatureSensorCell;

        /// <summary>Protection thresholds; null = derived from the envelope (ProtectionConfiguration.FromEnvelope).</summary>
        public ProtectionConfiguration Protection;
        /// <summary>Current-limit tables; null = derived from the protection thresholds.</summary>
        public LimitsConfiguration Limits;
        /// <summary>Contactor timing; null = ContactorConfiguration.CreateDefault(capacity).</summary>
        public ContactorConfiguration Contactors;
        /// <summary>Balancing; null = BalancingConfiguration.CreateDefault from the envelope.</summary>
        public BalancingConfiguration Balancing;
        /// <summary>Thermal-runaway guard; null = ThermalRunawayConfig.FromEnvelope.</summary>
        public ThermalRunawayConfig ThermalRunaway;
        /// <summary>Internal-short screening; null = defaults with this capacity.</summary>
        public InternalShortConfig InternalShort;

        /// <summary>Period of the open-wire test in the 1 s task; 0 = never.</summary>
        public int OpenWireCheckPeriod_ms = 60000;
        /// <summary>Period of persisting the estimator state (SoC, SoH); 0 = never.</summary>
        public int SocPersistPeriod_ms = 60000;
        /// <summary>Storage address of the estimator-state record (two copies, <see cref="Bms.Firmware.Storage.PersistentRecordStore.StorageSize"/>).</summary>
        public int StateRecordAddress = 0;
        /// <summary>Storage address of the fault log; -1 = right after the estimator-state record.</summary>
        public int FaultLogAddress = -1;
        /// <summary>Fault-log slots (each Storage.FaultRecord.Size bytes); 0 = no fault log. Reduced to what fits when the storage is smaller.</summary>
        public int FaultLogSlots = 64;

        /// <summary>A configuration with every derived setting for a chemistry and pack size.</summary>
        public static BmsConfiguration Create(ChemistryProfile chemistry, int cellCount, int temperatureCount, int capacity_mAh)
        {
            var c = new BmsConfiguration();
            c.Chemistry = chemistry;
            c.CellCount = cellCount;
            c.TemperatureCount = temperatureCount;
            c.Capacity_mAh = capacity_mAh;
            return c;
        }

        /// <summary>Null when usable, otherwise the first problem (field and reason).</summary>
        public string Validate()
        {
            if (Chemistry == null) return "Chemistry: required";
            if (CellCount <= 0) return "CellCount: must be positive";
            if (TemperatureCount < 0) return "TemperatureCount: must not be negative";
            if (Capacity_mAh <= 0) return "Capacity_mAh: must be positive";
            if (InitialSoc_pcm < -1 || InitialSoc_pcm > 100000) return "InitialSoc_pcm: must be -1 or 0..100000";
            if (TemperatureChannel != null && TemperatureChannel.Length != TemperatureCount) return "TemperatureChannel: needs one entry per temperature";
            if (TemperatureSensorCell != null)
            {
                if (TemperatureSensorCell.Length != TemperatureCount) return "TemperatureSensorCell: needs one entry per temperature";
                for (int i = 0; i < TemperatureSensorCell.Length; i++)
                {
                    if (TemperatureSensorCell[i] < -1 || TemperatureSensorCell[i] >= CellCount) return "TemperatureSensorCell[" + i.ToString() + "]: not a cell index";
                }
            }
            string problem = ProtectionConfiguration.CheckEnvelope(Chemistry.Envelope, Capacity_mAh);
            if (problem != null) return "Chemistry.Envelope: " + problem;
            ProtectionConfiguration protection = EffectiveProtection();
            problem = protection.Validate(Chemistry.Envelope, Capacity_mAh);
            if (problem != null) return "Protection: " + problem;
            problem = EffectiveLimits(protection).Validate(protection);
            if (problem != null) return "Limits: " + problem;
            problem = EffectiveContactors().Validate();
            if (problem != null) return "Contactors: " + problem;
            problem = EffectiveBalancing().Validate();
            if (problem != null) return "Balancing: " + problem;
            if (OpenWireCheckPeriod_ms < 0 || SocPersistPeriod_ms < 0) return "periods must not be negative";
            if (FaultLogSlots < 0 || FaultLogSlots == 1) return "FaultLogSlots: must be 0 or at least 2";
            if (StateRecordAddress < 0) return "StateRecordAddress: must not be negative";
            return null;
        }

        internal ProtectionConfiguration EffectiveProtection()
        {
            return Protection != null ? Protection.Clone() : ProtectionConfiguration.FromEnvelope(Chemistry.Envelope, Capacity_mAh);
        }

        internal LimitsConfiguration EffectiveLimits(ProtectionConfiguration protection)
        {
            return Limits ?? LimitsConfiguration.FromProtection(protection);
        }

        internal ContactorConfiguration EffectiveContactors()
        {
            return Contactors ?? ContactorConfiguration.CreateDefault(Capacity_mAh);
        }

        internal BalancingConfiguration EffectiveBalancing()
        {
            return Balancing ?? BalancingConfiguration.CreateDefault(Chemistry.Envelope.MinCellVoltage_mV, Chemistry.Envelope.MaxCellVoltage_mV, Capacity_mAh);
        }

        internal ThermalRunawayConfig EffectiveThermalRunaway()
        {
            return ThermalRunaway ?? ThermalRunawayConfig.FromEnvelope(Chemistry.Envelope);
        }

        internal InternalShortConfig EffectiveInternalShort()
        {
            if (InternalShort != null)
            {
                return InternalShort;
            }
            var config = new InternalShortConfig();
            config.CellCapacity_mAh = Capacity_mAh;
            return config;
        }
    }
}
