// The stability bowl: one see-through tint, faded towards its rim by the
// vertex alpha. Deliberately cheap: Bevy's StandardMaterial, even unlit,
// cost a software renderer two thirds of its frame rate over the bowl's
// area (29 -> 9 frames/s under lavapipe).
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> tint: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    var alpha = tint.a;
#ifdef VERTEX_COLORS
    alpha = alpha * in.color.a;
#endif
    return vec4<f32>(tint.rgb, alpha);
}
