using Bms.Hal;

namespace Bms.Replay.Engine;

/// <summary>
/// The contactor circuit around the pack, as the firmware sees it through its pins: main positive, main
/// negative and precharge contactors with auxiliary feedback contacts, and the voltage of the DC link
/// (inverter/charger capacitance) behind them. Closing or opening a contactor takes a few milliseconds
/// (armature travel); the link charges through the precharge resistor with time constant
/// <see cref="PrechargeTau_ms"/> and follows the stack directly once both mains are closed.
/// </summary>
public sealed class SimulatedContactors
{
    private readonly Contactor _mainPositive;
    private readonly Contactor _mainNegative;
    private readonly Contactor _precharge;
    private long _lastUpdate_ms = -1;
    private double _link_mV;

    public SimulatedContactors(int close_ms = 15, int open_ms = 5, int prechargeTau_ms = 100, int linkDischargeTau_ms = 5000)
    {
        _mainPositive = new Contactor(close_ms, open_ms);
        _mainNegative = new Contactor(close_ms, open_ms);
        _precharge = new Contactor(close_ms, open_ms);
        PrechargeTau_ms = prechargeTau_ms;
        LinkDischargeTau_ms = linkDischargeTau_ms;
    }

    /// <summary>Precharge resistor × link capacitance.</summary>
    public int PrechargeTau_ms { get; }

    /// <summary>Bleed resistor × link capacitance, with every contactor open.</summary>
    public int LinkDischargeTau_ms { get; }

    public IDigitalOutput MainPositiveCoil => _mainPositive;
    public IDigitalOutput MainNegativeCoil => _mainNegative;
    public IDigitalOutput PrechargeCoil => _precharge;
    public IDigitalInput MainPositiveFeedback => _mainPositive.Feedback;
    public IDigitalInput MainNegativeFeedback => _mainNegative.Feedback;
    public IDigitalInput PrechargeFeedback => _precharge.Feedback;

    /// <summary>true while both main contactors are physically closed: the load can draw current.</summary>
    public bool MainsClosed => _mainPositive.Closed && _mainNegative.Closed;

    /// <summary>Voltage across the DC link now.</summary>
    public int LinkVoltage_mV => (int)Math.Round(_link_mV);

    /// <summary>Moves the contacts and the link voltage to <paramref name="now_ms"/>.</summary>
    public void Update(long now_ms, int stack_mV)
    {
        _mainPositive.Update(now_ms);
        _mainNegative.Update(now_ms);
        _precharge.Update(now_ms);
        long dt = _lastUpdate_ms < 0 ? 0 : now_ms - _lastUpdate_ms;
        _lastUpdate_ms = now_ms;
        if (dt <= 0) return;
        if (MainsClosed)
        {
            _link_mV = stack_mV;
        }
        else if (_precharge.Closed && _mainNegative.Closed)
        {
            _link_mV += (stack_mV - _link_mV) * (1 - Math.Exp(-dt / (double)PrechargeTau_ms));
        }
        else
        {
            _link_mV *= Math.Exp(-dt / (double)LinkDischargeTau_ms);
        }
    }

    private sealed class Contactor : IDigitalOutput
    {
        private readonly int _close_ms, _open_ms;
        private long _changed_ms = long.MinValue;
        private long _now_ms;

        public Contactor(int close_ms, int open_ms)
        {
            _close_ms = close_ms;
            _open_ms = open_ms;
            Feedback = new AuxContact(this);
        }

        public bool State { get; private set; }
        public bool Closed { get; private set; }
        public IDigitalInput Feedback { get; }

        public void Write(bool energised)
        {
            if (energised == State) return;
            State = energised;
            _changed_ms = _now_ms;
        }

        public void Update(long now_ms)
        {
            _now_ms = now_ms;
            if (Closed != State && now_ms - _changed_ms >= (State ? _close_ms : _open_ms)) Closed = State;
        }

        private sealed class AuxContact : IDigitalInput
        {
            private readonly Contactor _owner;
            public AuxContact(Contactor owner) => _owner = owner;
            public bool Read() => _owner.Closed;
        }
    }
}
